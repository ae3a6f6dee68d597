import type { EventId, GenotypeId, PublicKey } from '../crypto/index.js';
import { isKind } from '../ledger/index.js';
import type { AppliedOp, EventStore, StoredEvent } from '../ledger/index.js';
import { ProjectionError } from './errors.js';
import type { Fitness } from './fitness.js';
import { compareFitness, taskKey } from './fitness.js';
import { betterOrigin } from './origin.js';
import type { OriginKey } from './origin.js';
import type { ProjectionState } from './state.js';
import { EventVerifier } from './verify-event.js';
import type { EventVerification } from './verify-event.js';

/** How a genotype entered the ledger. */
export interface LineageOrigin {
  readonly event: EventId;
  readonly kind: 'seed' | 'mutation';
  /** Who signed the event. */
  readonly author: PublicKey;
  readonly generation: number;
  readonly parent: GenotypeId | null;
  readonly mate: GenotypeId | null;
  readonly ops: readonly AppliedOp[];
  /** The mutation's RNG seed (null for a seed genotype). */
  readonly seed: number | null;
  /** The run a seed names (mutations inherit their parent's). */
  readonly run: EventId | null;
  readonly verification: EventVerification | null;
}

/** One fitness measurement of a genotype. */
export interface LineageEvaluation {
  readonly event: EventId;
  readonly author: PublicKey;
  readonly run: EventId;
  /** Task key; null when read from the projections and the run event is not held. */
  readonly task: string | null;
  /** Evaluation seed; null when the row comes from the projections without reading the event. */
  readonly seed: number | null;
  readonly fitness: Fitness;
  readonly solved: boolean;
  readonly verification: EventVerification | null;
}

/** One genotype of a lineage. */
export interface LineageStep {
  readonly genotype: GenotypeId;
  /** Steps from the queried genotype (0 for itself). */
  readonly depth: number;
  /** Null when no seed or mutation event for it is held. */
  readonly origin: LineageOrigin | null;
  readonly evaluations: readonly LineageEvaluation[];
}

/** The ancestry of a genotype back to its seed genotypes. */
export interface Lineage {
  readonly genotype: GenotypeId;
  /** Breadth-first from the genotype: parents (and mates) follow their children. */
  readonly steps: readonly LineageStep[];
  /** Seed genotypes reached. */
  readonly seeds: readonly GenotypeId[];
  /** Ancestors named but not brought in by any held event. */
  readonly missing: readonly GenotypeId[];
  /** True when `depth` stopped the walk before the seeds. */
  readonly truncated: boolean;
  /** Whether signatures were checked, and whether every check passed. */
  readonly verified: boolean;
  readonly intact: boolean;
}

/** Options of {@link lineage}. */
export interface LineageOptions {
  /** Most steps back from the genotype (default: unlimited). */
  readonly depth?: number;
  /** Check each event's block signature, inclusion proof and author chain (default true). */
  readonly verify?: boolean;
  /**
   * Projections of the same store: when given, parent links come from their
   * origin table and each step reads only its origin and best evaluation by
   * id, instead of a genotype-index query (which reads every event naming the
   * genotype: its children and selections too). Only the best evaluation of
   * each step is listed then.
   */
  readonly projection?: ProjectionState;
  readonly signal?: AbortSignal;
}

function originKey(e: StoredEvent): OriginKey {
  if (isKind(e, 'mutation'))
    return { event: e.id, kind: 'mutation', generation: e.body.generation, parent: e.body.parent };
  return { event: e.id, kind: 'seed', generation: 0, parent: null };
}

/** The same origin rule as the projections ({@link betterOrigin}). */
function preferOrigin(a: StoredEvent, b: StoredEvent, genotype: GenotypeId): boolean {
  return betterOrigin(originKey(a), originKey(b), genotype);
}

/** What the genotype index holds about one genotype. */
export interface GenotypeEvents {
  readonly origin: StoredEvent | undefined;
  readonly evaluations: StoredEvent[];
  /** Mutations that used the genotype as parent or mate. */
  readonly children: StoredEvent[];
}

/** Throws `UNKNOWN_GENOTYPE` when no event names the genotype. */
export function mustBeNamed(found: GenotypeEvents, genotype: GenotypeId): void {
  if (found.origin === undefined && found.evaluations.length === 0 && found.children.length === 0) {
    throw new ProjectionError('UNKNOWN_GENOTYPE', `no event names genotype ${genotype}`);
  }
}

/** Reads the genotype index for one genotype. */
export async function genotypeEvents(
  store: EventStore,
  genotype: GenotypeId,
): Promise<GenotypeEvents> {
  let origin: StoredEvent | undefined;
  const evaluations: StoredEvent[] = [];
  const children: StoredEvent[] = [];
  for await (const e of store.events({ genotype })) {
    if (isKind(e, 'mutation')) {
      if (e.body.child === genotype) {
        if (origin === undefined || preferOrigin(e, origin, genotype)) origin = e;
      } else children.push(e);
    } else if (isKind(e, 'seed')) {
      if (origin === undefined || preferOrigin(e, origin, genotype)) origin = e;
    } else if (isKind(e, 'evaluation')) {
      evaluations.push(e);
    }
  }
  return { origin, evaluations, children };
}

/** Reads one event by id, now. */
type ReadEvent = (id: EventId) => StoredEvent | undefined;

/**
 * How a walk through the projections reads the events it names: straight
 * from the store when it reads by id synchronously (the level store reads
 * the one part of a block that holds the event; the memory store a map),
 * so that a step is a plain function call; otherwise everything the walk
 * will need is read first, one event after the other.
 */
async function projectedReader(
  store: EventStore,
  state: ProjectionState,
  genotype: GenotypeId,
  maxDepth: number,
  evaluations: boolean,
): Promise<ReadEvent> {
  if (store.getEventNow !== undefined) return (id) => store.getEventNow!(id);
  const fetched = await prefetch(store, state, genotype, maxDepth, evaluations);
  return (id) => fetched.get(id);
}

/**
 * Reads the origin (and, when verifying, the best evaluation) of every
 * ancestor the projections' origin table names within `maxDepth`, one after
 * the other in walk order.
 */
async function prefetch(
  store: EventStore,
  state: ProjectionState,
  genotype: GenotypeId,
  maxDepth: number,
  evaluations: boolean,
): Promise<Map<EventId, StoredEvent>> {
  const ids: EventId[] = [];
  const seen = new Set<GenotypeId>([genotype]);
  let frontier = [genotype];
  for (let depth = 0; frontier.length > 0 && depth <= maxDepth; depth++) {
    const next: GenotypeId[] = [];
    for (const g of frontier) {
      const origin = state.origins.get(g);
      const best = evaluations ? state.bestOf.get(g) : undefined;
      if (origin !== undefined) ids.push(origin.event);
      if (best !== undefined) ids.push(best.evaluation);
      for (const p of [origin?.parent, origin?.mate]) {
        if (p !== null && p !== undefined && !seen.has(p)) {
          seen.add(p);
          next.push(p);
        }
      }
    }
    frontier = next;
  }
  const out = new Map<EventId, StoredEvent>();
  for (const id of ids) {
    const e = await store.getEvent(id);
    if (e !== undefined) out.set(e.id, e);
  }
  return out;
}

/**
 * The origin (and, with `evaluations`, the best evaluation) of a genotype,
 * as the projections' tables name them.
 */
function projectedEvents(
  state: ProjectionState,
  read: ReadEvent,
  genotype: GenotypeId,
  evaluations: boolean,
): GenotypeEvents {
  const origin = state.origins.get(genotype);
  const best = evaluations ? state.bestOf.get(genotype) : undefined;
  const o = origin === undefined ? undefined : read(origin.event);
  const e = best === undefined ? undefined : read(best.evaluation);
  return { origin: o, evaluations: e === undefined ? [] : [e], children: [] };
}

/** An evaluation row from the projections' best-of table, when it was not read (no verification asked). */
function projectedEvaluation(
  state: ProjectionState,
  genotype: GenotypeId,
): LineageEvaluation | undefined {
  const best = state.bestOf.get(genotype);
  if (best === undefined) return undefined;
  return {
    event: best.evaluation,
    author: best.author,
    run: best.run,
    task: state.runs.get(best.run)?.taskKey ?? null,
    seed: null,
    fitness: best.fitness,
    solved: best.solved,
    verification: null,
  };
}

/**
 * The ancestry of `genotype`: each step's operators, who signed it, the
 * fitness measured, and (with `verify`) each event's signature and author
 * chain checked. Uses the store's genotype index: one index read per
 * ancestor, never a log scan. Throws `UNKNOWN_GENOTYPE` when no event names
 * the genotype at all.
 */
export async function lineage(
  store: EventStore,
  genotype: GenotypeId,
  options: LineageOptions = {},
): Promise<Lineage> {
  const maxDepth = options.depth ?? Infinity;
  const verifier = options.verify === false ? undefined : new EventVerifier(store);
  const steps: LineageStep[] = [];
  const seeds: GenotypeId[] = [];
  const missing: GenotypeId[] = [];
  const visited = new Set<GenotypeId>([genotype]);
  let truncated = false;
  let intact = true;
  let frontier: GenotypeId[] = [genotype];
  const projection = options.projection;
  const read =
    projection === undefined
      ? undefined
      : await projectedReader(store, projection, genotype, maxDepth, verifier !== undefined);
  // Without verification, a walk through the projections on a store that
  // reads synchronously never waits: each `await` below is on a branch it
  // does not take, so a step costs its two reads and its decoding alone.
  const check =
    verifier === undefined
      ? undefined
      : async (e: StoredEvent) => {
          const v = await verifier.verify(e);
          if (!v.ok) intact = false;
          return v;
        };
  let walked = 0;
  for (let depth = 0; frontier.length > 0; depth++) {
    const next: GenotypeId[] = [];
    for (const g of frontier) {
      if (options.signal !== undefined) await abortPoint(options.signal, walked++);
      const found =
        read === undefined
          ? await genotypeEvents(store, g)
          : projectedEvents(projection!, read, g, verifier !== undefined);
      if (depth === 0) mustBeNamed(found, g);
      let origin: LineageOrigin | null = null;
      const o = found.origin;
      if (o !== undefined && isKind(o, 'mutation')) {
        origin = {
          event: o.id,
          kind: 'mutation',
          author: o.author,
          generation: o.body.generation,
          parent: o.body.parent,
          mate: o.body.mate ?? null,
          ops: o.body.ops,
          seed: o.body.seed,
          run: null,
          verification: check === undefined ? null : await check(o),
        };
      } else if (o !== undefined && isKind(o, 'seed')) {
        origin = {
          event: o.id,
          kind: 'seed',
          author: o.author,
          generation: 0,
          parent: null,
          mate: null,
          ops: [],
          seed: null,
          run: o.body.run,
          verification: check === undefined ? null : await check(o),
        };
        seeds.push(g);
      } else {
        missing.push(g);
      }
      const evaluations: LineageEvaluation[] = [];
      for (const e of found.evaluations) {
        if (!isKind(e, 'evaluation')) continue;
        evaluations.push({
          event: e.id,
          author: e.author,
          run: e.body.run,
          task: taskKey(e.body.task),
          seed: e.body.seed,
          fitness: e.body.fitness,
          solved: e.body.solved,
          verification: check === undefined ? null : await check(e),
        });
      }
      if (evaluations.length === 0 && projection !== undefined && verifier === undefined) {
        const row = projectedEvaluation(projection, g);
        if (row !== undefined) evaluations.push(row);
      }
      evaluations.sort(
        (a, b) => compareFitness(b.fitness, a.fitness) || (a.event < b.event ? -1 : 1),
      );
      steps.push({ genotype: g, depth, origin, evaluations });
      for (const p of [origin?.parent, origin?.mate]) {
        if (p === null || p === undefined || visited.has(p)) continue;
        if (depth + 1 > maxDepth) {
          truncated = true;
          continue;
        }
        visited.add(p);
        next.push(p);
      }
    }
    frontier = next;
  }
  return { genotype, steps, seeds, missing, truncated, verified: verifier !== undefined, intact };
}

/** Steps walked between two turns of the event loop when a walk can be aborted. */
const ABORT_EVERY = 256;

/**
 * Throws `ABORTED` once `signal` is aborted. A walk that never waits would
 * not see an abort signalled while it runs: every {@link ABORT_EVERY} steps
 * it lets the event loop turn.
 */
async function abortPoint(signal: AbortSignal, walked: number): Promise<void> {
  if (walked > 0 && walked % ABORT_EVERY === 0) await new Promise((r) => setImmediate(r));
  if (signal.aborted) throw new ProjectionError('ABORTED', 'lineage aborted');
}
