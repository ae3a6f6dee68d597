import { fromHex, toHex } from '../crypto/index.js';
import type { BlockId, PublicKey } from '../crypto/index.js';
import { ProjectionError } from './errors.js';
import type { IdTable } from './id-table.js';
import { initialState } from './state.js';
import type { ProjectionState } from './state.js';
import { Kind } from './state-columns.js';
import type { StateColumns } from './state-columns.js';

/** Where a cached state stands in its store's log. */
export interface Watermark {
  /** Log position of the next block to fold. */
  readonly position: number;
  /** Id of the last block folded (null before the first): proves the cache belongs to this log. */
  readonly block: BlockId | null;
}

const FORMAT = 'evoledger-projection-state';
const VERSION = 3;

interface Encoded {
  format: string;
  v: number;
  watermark: Watermark;
  events: number;
  unknown: number;
  /** The genotype ids and the event ids of the columns, 64 hex digits each, in handle order. */
  genotypes: string;
  events_: string;
  authors: PublicKey[];
  /** [genotype, kind, event, author, generation, parent, mate, ops] per origin (handles; -1 none). */
  origins: number[];
  /** [genotype, author, run, solved, fitness (null for a vector)] per genotype with a best. */
  best: (number | null)[];
  /** The best evaluations' ids, in the order of `best`. */
  bestEvaluations: string;
  /** [genotype, vector] of the bests with vector fitness. */
  bestVectors: [number, number[]][];
  /** [mutation, via] pairs; [seed event, run] pairs (handles). */
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
 * every finite double exactly), with the large tables as their columns:
 * flat number arrays of handles over the tables of ids.
 */
export function encodeState(state: ProjectionState, watermark: Watermark): Uint8Array {
  const c = state.columns;
  const origins: number[] = [];
  const best: (number | null)[] = [];
  const bestVectors: [number, number[]][] = [];
  const evaluations: string[] = [];
  for (let g = 0; g < c.genotypes.size; g++) {
    if (c.hasOrigin(g)) {
      origins.push(
        g,
        c.originKind[g]!,
        c.originEvent[g]!,
        c.originAuthor[g]!,
        c.originGeneration[g]!,
        c.parentOf(g),
        c.mateOf(g),
        c.originOps[g]!,
      );
    }
    if (c.hasBest(g)) {
      const vector = c.bestVector.get(g);
      best.push(
        g,
        c.bestAuthorOf(g),
        c.bestRun[g]!,
        c.bestSolved[g]!,
        vector === undefined ? c.bestFitness[g]! : null,
      );
      if (vector !== undefined) bestVectors.push([g, [...vector]]);
      evaluations.push(c.bestEvaluationId(g));
    }
  }
  const mutationVia: number[] = [];
  const seedRun: number[] = [];
  for (let e = 0; e < c.events.size; e++) {
    if (c.isMutation(e)) mutationVia.push(e, c.viaOf(e));
    if (c.seedRunOf(e) !== -1) seedRun.push(e, c.seedRunOf(e));
  }
  const hexOf = (t: IdTable) => toHex(t.bytes.subarray(0, 32 * t.size));
  const encoded: Encoded = {
    format: FORMAT,
    v: VERSION,
    watermark: { position: watermark.position, block: watermark.block },
    events: state.events,
    unknown: state.unknown,
    genotypes: hexOf(c.genotypes),
    events_: hexOf(c.events),
    authors: c.authors,
    origins,
    best,
    bestEvaluations: evaluations.join(''),
    bestVectors,
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

/** Interns the ids of a hex table, in order, so that their handles are their indexes. */
function internAll(hex: string, add: (bytes: Uint8Array, offset: number) => number): number {
  if (typeof hex !== 'string' || hex.length % 64 !== 0) throw new TypeError('bad id table');
  const bytes = fromHex(hex);
  const n = bytes.length / 32;
  for (let i = 0; i < n; i++) if (add(bytes, 32 * i) !== i) throw new TypeError('repeated id');
  return n;
}

/** Checks a handle read from a cache: -1 when `optional`, else in [0, n). */
function handle(x: unknown, n: number, optional = true): number {
  if (!Number.isInteger(x) || (x as number) < (optional ? -1 : 0) || (x as number) >= n) {
    throw new TypeError(`bad handle ${String(x)}`);
  }
  return x as number;
}

/** Fills the columns of `c` from a decoded cache. */
function decodeColumns(c: StateColumns, raw: Encoded): void {
  const genotypes = internAll(raw.genotypes, (b, o) => c.genotype(b, o));
  const events = internAll(raw.events_, (b, o) => c.event(b, o));
  for (const a of raw.authors) c.author(a);
  const authors = c.authors.length;
  if (authors !== raw.authors.length) throw new TypeError('repeated author');
  const o = raw.origins;
  for (let i = 0; i < o.length; i += 8) {
    const g = handle(o[i], genotypes, false);
    if (c.hasOrigin(g)) throw new TypeError('repeated origin');
    const kind = o[i + 1];
    if (kind !== Kind.seed && kind !== Kind.mutation) throw new TypeError('bad origin kind');
    const generation = o[i + 4];
    const ops = o[i + 7];
    if (typeof generation !== 'number' || !Number.isInteger(ops)) throw new TypeError('bad origin');
    c.setOrigin(
      g,
      kind,
      handle(o[i + 2], events, false),
      handle(o[i + 3], authors, false),
      generation,
      handle(o[i + 5], genotypes),
      handle(o[i + 6], genotypes),
      ops!,
    );
  }
  const evaluations = fromHex(raw.bestEvaluations);
  const vectors = new Map(raw.bestVectors);
  const b = raw.best;
  if (evaluations.length !== (32 * b.length) / 5) throw new TypeError('bad best evaluations');
  for (let i = 0, j = 0; i < b.length; i += 5, j += 32) {
    const g = handle(b[i], genotypes, false);
    if (c.hasBest(g)) throw new TypeError('repeated best');
    const fitness = b[i + 4] ?? vectors.get(g);
    if (typeof fitness !== 'number' && !Array.isArray(fitness)) throw new TypeError('bad fitness');
    const author = handle(b[i + 1], authors, false);
    const run = handle(b[i + 2], events, false);
    c.setBest(g, fitness, evaluations, j, author, run, b[i + 3] === 1);
  }
  for (let i = 0; i < raw.mutationVia.length; i += 2) {
    const e = handle(raw.mutationVia[i], events, false);
    if (c.isMutation(e)) throw new TypeError('repeated mutation');
    c.setVia(e, handle(raw.mutationVia[i + 1], events));
  }
  for (let i = 0; i < raw.seedRun.length; i += 2) {
    const e = handle(raw.seedRun[i], events, false);
    if (c.seedRunOf(e) !== -1) throw new TypeError('repeated seed');
    c.setSeedRun(e, handle(raw.seedRun[i + 1], events, false));
  }
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
    const state = initialState({ distinct: true });
    decodeColumns(state.columns, raw);
    for (const r of small.runs) state.runs.set(r.id, r);
    for (const s of small.selections) state.selections.set(s.id, s);
    for (const [k, v] of small.runBest) state.runBest.set(k, v);
    for (const [k, v] of small.champions) state.champions.set(k, v);
    for (const [k, v] of small.runTotals) state.runTotals.set(k, v);
    for (const [k, v] of small.authors) state.authors.set(k, v);
    state.events = raw.events;
    state.unknown = raw.unknown;
    if (!Number.isSafeInteger(raw.watermark.position)) throw new TypeError('bad watermark');
    return { state, watermark: { position: raw.watermark.position, block: raw.watermark.block } };
  } catch (err) {
    throw new ProjectionError('STALE_CACHE', 'projection cache is damaged', { cause: err });
  }
}
