import { encodeCanonical, Identity, sha256, taggedHash, toHex } from '../crypto/index.js';
import type { EventId, GenotypeId, RealmId } from '../crypto/index.js';
import { createRealm, Ledger } from '../ledger/index.js';
import type {
  AppliedOp,
  EventDraft,
  EventSink,
  LedgerEvent,
  LedgerWriter,
} from '../ledger/index.js';
import { MemoryStore } from '../ledger/memory-store.js';
import type { Fitness, ReplayEngine } from '../projections/index.js';

/**
 * A synthetic but well-formed evolution engine and run generator: networks
 * are integer vectors, operators nudge or grow them, fitness is how close
 * their sum is to 100, selection keeps the top k. Small and deterministic,
 * so the projection and replay properties do not depend on the real engine.
 */
export interface SyntheticNetwork {
  readonly v: 1;
  readonly w: readonly number[];
}

/** Content address of a synthetic network. */
export function syntheticId(n: SyntheticNetwork): GenotypeId {
  return toHex(taggedHash('evoledger/synthetic-genotype/v1', encodeCanonical(n))) as GenotypeId;
}

/** Applies synthetic operators (`['nudge', i, delta]`, `['grow', value]`). */
export function syntheticApply(
  parent: SyntheticNetwork,
  ops: readonly AppliedOp[],
): SyntheticNetwork {
  const w = [...parent.w];
  for (const [name, a, b] of ops) {
    if (
      name === 'nudge' &&
      typeof a === 'number' &&
      typeof b === 'number' &&
      a >= 0 &&
      a < w.length
    ) {
      w[a] = w[a]! + b;
    } else if (name === 'grow' && typeof a === 'number') {
      w.push(a);
    } else {
      throw new Error(`synthetic operator ${JSON.stringify([name, a, b])} does not apply`);
    }
  }
  return { v: 1, w };
}

/** Fitness of a synthetic network: minus the distance of its sum to 100. */
export function syntheticFitness(n: SyntheticNetwork): number {
  return -Math.abs(n.w.reduce((s, x) => s + x, 0) - 100);
}

function isNetwork(x: unknown): x is SyntheticNetwork {
  const n = x as SyntheticNetwork;
  return (
    n !== null &&
    typeof n === 'object' &&
    n.v === 1 &&
    Array.isArray(n.w) &&
    n.w.every(Number.isSafeInteger)
  );
}

/** Orders candidates as synthetic selection does: fitness, then genotype id. */
const byFitness = (
  a: { genotype: GenotypeId; fitness: Fitness },
  b: { genotype: GenotypeId; fitness: Fitness },
) =>
  (b.fitness as number) - (a.fitness as number) ||
  (a.genotype < b.genotype ? -1 : a.genotype > b.genotype ? 1 : 0);

/** Top `k` distinct genotypes of the candidates. */
export function syntheticSelect(
  candidates: readonly { genotype: GenotypeId; fitness: Fitness }[],
  k: number,
): GenotypeId[] {
  const seen = new Set<GenotypeId>();
  const out: GenotypeId[] = [];
  for (const c of [...candidates].sort(byFitness)) {
    if (seen.has(c.genotype)) continue;
    seen.add(c.genotype);
    out.push(c.genotype);
    if (out.length === k) break;
  }
  return out;
}

/** The synthetic engine as projections' replay sees it. */
export const syntheticEngine: ReplayEngine = {
  name: 'synthetic/1',
  fromSeed(network) {
    if (!isNetwork(network)) throw new Error('not a synthetic network');
    return { id: syntheticId(network), network };
  },
  applyOps(parent, ops) {
    const child = syntheticApply(parent as SyntheticNetwork, ops);
    return { id: syntheticId(child), network: child };
  },
  select(input) {
    const k = input.run?.config.k;
    return typeof k === 'number' ? { survivors: syntheticSelect(input.considered, k) } : undefined;
  },
  evaluate(task, network) {
    return task.id === 'synthetic'
      ? { fitness: syntheticFitness(network as SyntheticNetwork) }
      : undefined;
  },
};

/** A deterministic uint32 stream (mulberry32) keyed by numbers. */
function stream(...key: number[]): () => number {
  let a = 0x9e3779b9;
  for (const k of key) a = (Math.imul(a ^ (k >>> 0), 0x85ebca6b) + 0x6b79f5) | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

interface Member {
  readonly genotype: GenotypeId;
  readonly network: SyntheticNetwork;
  readonly origin: EventId;
  readonly evaluation: EventId;
  readonly fitness: number;
}

/** Where a synthetic run stands; forkable (continuing twice from one state is a partition). */
export interface SyntheticRun {
  readonly run: EventId;
  readonly seed: number;
  readonly generation: number;
  readonly lastSelection: EventId;
  readonly survivors: readonly Member[];
  readonly population: number;
  readonly k: number;
}

const TASK = { id: 'synthetic', version: 1 } as const;

function evaluate(
  sink: EventSink,
  run: EventId,
  origin: EventId,
  genotype: GenotypeId,
  network: SyntheticNetwork,
  seed: number,
): Member {
  const fitness = syntheticFitness(network);
  const evaluation = sink.emit({
    kind: 'evaluation',
    deps: [origin],
    body: {
      run,
      genotype,
      task: TASK,
      seed,
      fitness,
      cost: 1 + network.w.length / 4,
      solved: fitness === 0,
      evaluations: 1,
    },
  });
  return { genotype, network, origin, evaluation, fitness };
}

function select(
  sink: EventSink,
  run: EventId,
  generation: number,
  previous: EventId | null,
  candidates: Member[],
  k: number,
): { id: EventId; survivors: Member[] } {
  const chosen = syntheticSelect(candidates, k);
  const byId = new Map(candidates.map((c) => [c.genotype, c]));
  const survivors = chosen.map((g) => byId.get(g)!);
  const id = sink.emit({
    kind: 'selection',
    deps: candidates.map((c) => c.evaluation),
    body: {
      run,
      generation,
      previous,
      survivors: chosen,
      method: 'truncation',
      best: Math.max(...candidates.map((c) => c.fitness)),
    },
  });
  return { id, survivors };
}

/** Starts a run: the run event, seeds, their evaluations, the generation-0 selection. */
export function startRun(
  sink: EventSink,
  options: { seed: number; population: number; k: number; width?: number },
): SyntheticRun {
  const { seed, population, k } = options;
  const run = sink.emit({
    kind: 'run',
    deps: [],
    body: { task: { ...TASK, params: {} }, seed, config: { population, k }, engine: 'synthetic/1' },
  });
  const rnd = stream(seed, 0);
  const members: Member[] = [];
  for (let i = 0; i < population; i++) {
    const network: SyntheticNetwork = {
      v: 1,
      w: Array.from({ length: options.width ?? 3 }, () => rnd() % 40),
    };
    const genotype = syntheticId(network);
    const origin = sink.emit({
      kind: 'seed',
      deps: [run],
      body: { run, genotype, network: network as unknown as Record<string, unknown> },
    });
    members.push(evaluate(sink, run, origin, genotype, network, i));
  }
  const sel = select(sink, run, 0, null, members, k);
  return {
    run,
    seed,
    generation: 0,
    lastSelection: sel.id,
    survivors: sel.survivors,
    population,
    k,
  };
}

/** Adds `generations` generations; `salt` tells two continuations of one state apart. */
export function continueRun(
  sink: EventSink,
  state: SyntheticRun,
  generations: number,
  salt = 0,
): SyntheticRun {
  let s = state;
  for (let n = 0; n < generations; n++) {
    const generation = s.generation + 1;
    const rnd = stream(s.seed, generation, salt);
    const offspring: Member[] = [];
    for (let i = 0; i < s.population; i++) {
      const parent = s.survivors[i % s.survivors.length]!;
      const ops: AppliedOp[] = [];
      const count = 1 + (rnd() % 3);
      for (let j = 0; j < count; j++) {
        if (rnd() % 5 === 0) ops.push(['grow', (rnd() % 9) - 4]);
        else ops.push(['nudge', rnd() % parent.network.w.length, (rnd() % 11) - 5]);
      }
      const network = syntheticApply(parent.network, ops);
      const child = syntheticId(network);
      const mutationSeed = rnd();
      const origin = sink.emit({
        kind: 'mutation',
        deps: [parent.origin],
        body: { generation, parent: parent.genotype, child, seed: mutationSeed, ops },
      });
      offspring.push(evaluate(sink, s.run, origin, child, network, generation * 1000 + i));
    }
    const sel = select(
      sink,
      s.run,
      generation,
      s.lastSelection,
      [...s.survivors, ...offspring],
      s.k,
    );
    s = { ...s, generation, lastSelection: sel.id, survivors: sel.survivors };
  }
  return s;
}

/** A sink that records every id and lets a test rewrite a draft before it is signed. */
export function recordingSink(
  inner: EventSink,
  tamper?: (draft: EventDraft, index: number) => EventDraft,
): EventSink & { readonly ids: EventId[]; readonly drafts: EventDraft[] } {
  const ids: EventId[] = [];
  const drafts: EventDraft[] = [];
  return {
    ids,
    drafts,
    emit(draft) {
      const d = tamper ? tamper(draft, ids.length) : draft;
      drafts.push(d);
      const id = inner.emit(d);
      ids.push(id);
      return id;
    },
  };
}

/** A deterministic identity: the secret is sha256 of the name. */
export function testIdentity(name: string): Identity {
  return Identity.fromSecret(sha256(new TextEncoder().encode(name)));
}

/** A ledger over a memory store with an open realm. */
export async function syntheticLedger(
  name = 'synthetic',
): Promise<{ ledger: Ledger; store: MemoryStore; realm: RealmId; admin: Identity }> {
  const store = await MemoryStore.open();
  const ledger = await Ledger.open(store);
  const admin = testIdentity(`${name}-admin`);
  const { realm, block } = createRealm(admin, { name });
  await ledger.ingest([block]);
  return { ledger, store, realm, admin };
}

/** A writer for a named test author. */
export async function authorWriter(
  ledger: Ledger,
  realm: RealmId,
  name: string,
  blockSize = 64,
): Promise<LedgerWriter> {
  return ledger.writer(testIdentity(name), realm, { blockSize });
}

/**
 * A recorded multi-author experiment: author A starts a run, then A and B
 * each continue it on their own (two sides of a partition), and C starts a
 * second run. Returns the ledger and every event it holds.
 */
export async function partitionedExperiment(options: {
  seed: number;
  base: number;
  sideA: number;
  sideB: number;
  population?: number;
  k?: number;
}): Promise<{ ledger: Ledger; store: MemoryStore; realm: RealmId; events: LedgerEvent[] }> {
  const { ledger, store, realm } = await syntheticLedger();
  const a = await authorWriter(ledger, realm, 'author-a');
  const b = await authorWriter(ledger, realm, 'author-b');
  const c = await authorWriter(ledger, realm, 'author-c');
  const population = options.population ?? 6;
  const k = options.k ?? 3;
  const base = continueRun(a, startRun(a, { seed: options.seed, population, k }), options.base);
  await a.flush();
  continueRun(a, base, options.sideA, 1);
  continueRun(b, base, options.sideB, 2);
  continueRun(c, startRun(c, { seed: options.seed + 1, population: 4, k: 2 }), 2);
  await Promise.all([a.flush(), b.flush(), c.flush()]);
  const events: LedgerEvent[] = [];
  for await (const e of store.events()) events.push(e);
  return { ledger, store, realm, events };
}

/** A chain run being written one generation at a time (see {@link chainRun}). */
export interface ChainStepper {
  readonly run: EventId;
  readonly genotypes: GenotypeId[];
  /** Writes the next generation: one mutation, its evaluation, a selection. */
  step(): GenotypeId;
}

/** Starts a chain run: the run, its seed, evaluation and generation-0 selection. */
export function chainStepper(sink: EventSink, options: { seed: number }): ChainStepper {
  const run = sink.emit({
    kind: 'run',
    deps: [],
    body: {
      task: { ...TASK, params: {} },
      seed: options.seed,
      config: { population: 1, k: 1 },
      engine: 'synthetic/1',
    },
  });
  let network: SyntheticNetwork = { v: 1, w: [options.seed % 50] };
  let genotype = syntheticId(network);
  const origin = sink.emit({
    kind: 'seed',
    deps: [run],
    body: { run, genotype, network: network as unknown as Record<string, unknown> },
  });
  let member = evaluate(sink, run, origin, genotype, network, 0);
  let previous = select(sink, run, 0, null, [member], 1).id;
  const genotypes = [genotype];
  let generation = 0;
  return {
    run,
    genotypes,
    step() {
      generation++;
      const ops: AppliedOp[] = [['grow', generation % 7]];
      network = syntheticApply(network, ops);
      const parent = genotype;
      genotype = syntheticId(network);
      const o = sink.emit({
        kind: 'mutation',
        deps: [member.origin],
        body: { generation, parent, child: genotype, seed: generation, ops },
      });
      member = evaluate(sink, run, o, genotype, network, generation);
      previous = select(sink, run, generation, previous, [member], 1).id;
      genotypes.push(genotype);
      return genotype;
    },
  };
}

/**
 * A run where every generation is one child of the last (a `grow` operator,
 * so every genotype is new): a lineage exactly `generations` deep, as the
 * lineage tests and benchmark need.
 */
export function chainRun(
  sink: EventSink,
  options: { seed: number; generations: number },
): { run: EventId; genotypes: GenotypeId[] } {
  const chain = chainStepper(sink, options);
  for (let g = 0; g < options.generations; g++) chain.step();
  return { run: chain.run, genotypes: chain.genotypes };
}
