import type { BlockId, EventId, GenotypeId, PublicKey } from '../crypto/index.js';
import { ProjectionError } from './errors.js';
import type { Fitness } from './fitness.js';
import type { BestFacts, OriginFacts, ProjectionState } from './state.js';

/** Where a cached state stands in its store's log. */
export interface Watermark {
  /** Log position of the next block to fold. */
  readonly position: number;
  /** Id of the last block folded (null before the first): proves the cache belongs to this log. */
  readonly block: BlockId | null;
}

const FORMAT = 'evoledger-projection-state';
const VERSION = 2;

/** Numbers ids: each distinct id is written once, in one string, and referred to by index. */
class Interner {
  readonly #index = new Map<string, number>();
  readonly ids: string[] = [];
  ref(id: string | null): number {
    if (id === null) return -1;
    let i = this.#index.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.#index.set(id, i);
      this.ids.push(id);
    }
    return i;
  }
}

interface Encoded {
  format: string;
  v: number;
  watermark: Watermark;
  events: number;
  unknown: number;
  /** Every id, 64 hex digits each, concatenated. */
  ids: string;
  /** [genotype, event, kind (0 seed, 1 mutation), author, run, via, generation, parent, mate, ops] per origin. */
  origins: number[];
  /** [genotype, evaluation, author, run, solved] per genotype, fitness apart. */
  best: number[];
  bestFitness: Fitness[];
  /** [mutation, via] pairs; [seed event, run] pairs. */
  mutationVia: number[];
  seedRun: number[];
  small: {
    runs: unknown[];
    selections: unknown[];
    runBest: unknown[];
    champions: unknown[];
    runTotals: unknown[];
    authors: unknown[];
  };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * Encodes a state built from a store (distinct events) and its watermark.
 * The cache is a local shortcut, never hashed, signed or sent, so it is
 * JSON (V8 writes and parses it far faster than canonical CBOR, and keeps
 * every finite double exactly), with the large tables as flat number arrays
 * over one table of ids: a tenth of the size of plain objects (measured).
 */
export function encodeState(state: ProjectionState, watermark: Watermark): Uint8Array {
  const ids = new Interner();
  const origins: number[] = [];
  for (const [g, o] of state.origins) {
    origins.push(
      ids.ref(g),
      ids.ref(o.event),
      o.kind === 'seed' ? 0 : 1,
      ids.ref(o.author),
      ids.ref(o.run),
      ids.ref(o.via),
      o.generation,
      ids.ref(o.parent),
      ids.ref(o.mate),
      o.ops,
    );
  }
  const best: number[] = [];
  const bestFitness: Fitness[] = [];
  for (const [g, b] of state.bestOf) {
    best.push(
      ids.ref(g),
      ids.ref(b.evaluation),
      ids.ref(b.author),
      ids.ref(b.run),
      b.solved ? 1 : 0,
    );
    bestFitness.push(b.fitness);
  }
  const mutationVia: number[] = [];
  for (const [m, via] of state.mutationVia) mutationVia.push(ids.ref(m), ids.ref(via));
  const seedRun: number[] = [];
  for (const [s, run] of state.seedRun) seedRun.push(ids.ref(s), ids.ref(run));
  const encoded: Encoded = {
    format: FORMAT,
    v: VERSION,
    watermark: { position: watermark.position, block: watermark.block },
    events: state.events,
    unknown: state.unknown,
    ids: ids.ids.join(''),
    origins,
    best,
    bestFitness,
    mutationVia,
    seedRun,
    small: {
      runs: [...state.runs.values()],
      selections: [...state.selections.values()],
      runBest: [...state.runBest],
      champions: [...state.champions],
      runTotals: [...state.runTotals],
      authors: [...state.authors],
    },
  };
  return utf8.encode(JSON.stringify(encoded));
}

/**
 * Decodes a cached state. Throws `STALE_CACHE` for anything written by
 * another format version, or damaged (the caller rebuilds from the log).
 */
export function decodeState(bytes: Uint8Array): { state: ProjectionState; watermark: Watermark } {
  let raw: Encoded;
  try {
    raw = JSON.parse(fromUtf8.decode(bytes)) as Encoded;
  } catch (err) {
    throw new ProjectionError('STALE_CACHE', 'projection cache does not parse', { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || raw.format !== FORMAT || raw.v !== VERSION) {
    throw new ProjectionError('STALE_CACHE', 'projection cache has another format version');
  }
  try {
    const table = raw.ids;
    if (typeof table !== 'string' || table.length % 64 !== 0) throw new TypeError('bad id table');
    const id = <T extends string>(i: number): T => {
      if (!Number.isInteger(i) || i < 0 || i * 64 >= table.length)
        throw new TypeError(`bad id reference ${i}`);
      return table.slice(i * 64, i * 64 + 64) as T;
    };
    const maybe = <T extends string>(i: number): T | null => (i === -1 ? null : id<T>(i));
    const origins = new Map<GenotypeId, OriginFacts>();
    for (let i = 0; i < raw.origins.length; i += 10) {
      const o = raw.origins;
      origins.set(id<GenotypeId>(o[i]!), {
        event: id<EventId>(o[i + 1]!),
        kind: o[i + 2] === 0 ? 'seed' : 'mutation',
        author: id<PublicKey>(o[i + 3]!),
        run: maybe<EventId>(o[i + 4]!),
        via: maybe<EventId>(o[i + 5]!),
        generation: o[i + 6]!,
        parent: maybe<GenotypeId>(o[i + 7]!),
        mate: maybe<GenotypeId>(o[i + 8]!),
        ops: o[i + 9]!,
      });
    }
    const bestOf = new Map<GenotypeId, BestFacts>();
    for (let i = 0, j = 0; i < raw.best.length; i += 5, j++) {
      const b = raw.best;
      const genotype = id<GenotypeId>(b[i]!);
      bestOf.set(genotype, {
        genotype,
        evaluation: id<EventId>(b[i + 1]!),
        author: id<PublicKey>(b[i + 2]!),
        run: id<EventId>(b[i + 3]!),
        solved: b[i + 4] === 1,
        fitness: raw.bestFitness[j]!,
      });
    }
    const pairs = <A extends string, B extends string | null>(
      list: number[],
      second: (i: number) => B,
    ) => {
      const m = new Map<A, B>();
      for (let i = 0; i < list.length; i += 2) m.set(id<A>(list[i]!), second(list[i + 1]!));
      return m;
    };
    const small = raw.small as unknown as {
      runs: ProjectionState['runs'] extends Map<unknown, infer V> ? V[] : never;
      selections: ProjectionState['selections'] extends Map<unknown, infer V> ? V[] : never;
    } & {
      [K in 'runBest' | 'champions' | 'runTotals' | 'authors']: ProjectionState[K] extends Map<
        infer A,
        infer B
      >
        ? [A, B][]
        : never;
    };
    const state: ProjectionState = {
      runs: new Map(small.runs.map((r) => [r.id, r])),
      seedRun: pairs<EventId, EventId>(raw.seedRun, (i) => id<EventId>(i)),
      mutationVia: pairs<EventId, EventId | null>(raw.mutationVia, (i) => maybe<EventId>(i)),
      selections: new Map(small.selections.map((s) => [s.id, s])),
      origins,
      bestOf,
      runBest: new Map(small.runBest),
      champions: new Map(small.champions),
      runTotals: new Map(small.runTotals),
      authors: new Map(small.authors),
      seen: null,
      events: raw.events,
      unknown: raw.unknown,
    };
    if (!Number.isSafeInteger(raw.watermark.position)) throw new TypeError('bad watermark');
    return { state, watermark: { position: raw.watermark.position, block: raw.watermark.block } };
  } catch (err) {
    throw new ProjectionError('STALE_CACHE', 'projection cache is damaged', { cause: err });
  }
}
