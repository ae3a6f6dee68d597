import type { BlockId, PublicKey } from '../crypto/index.js';
import { ProjectionError } from './errors.js';
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
const VERSION = 4;

/** The columns of one genotype each, written in this order (see state-columns.ts). */
const GENOTYPE_COLUMNS = [
  'originKind',
  'originEvent',
  'originAuthor',
  'originGeneration',
  'originParent',
  'originMate',
  'originOps',
  'bestEvaluation',
  'bestAuthor',
  'bestRun',
  'bestFitness',
  'bestSolved',
] as const;
/** The columns of one event each. */
const EVENT_COLUMNS = ['via', 'seedRun'] as const;

/** Elements a column holds per genotype or event. */
const perEntry = (name: string): number => (name === 'bestEvaluation' ? 32 : 1);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The JSON head of a cache; the columns follow it as raw bytes. */
interface Header {
  format: string;
  v: number;
  /** Columns are written in this machine's byte order; another refuses the cache. */
  littleEndian: boolean;
  watermark: Watermark;
  events: number;
  unknown: number;
  /** Genotype and event ids held (the columns' lengths). */
  genotypes: number;
  eventIds: number;
  authors: PublicKey[];
  /** [genotype, vector] of the bests with vector fitness. */
  bestVectors: [number, number[]][];
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

/** The bytes of the first `n` elements of a typed array (a view, no copy). */
function bytesOf(a: Uint8Array | Int32Array | Float64Array, n: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT);
}

/** Each section of a cache after its head, in order, as views of the state's own memory. */
function sections(c: StateColumns, genotypes: number, events: number): Uint8Array[] {
  return [
    c.genotypes.bytes.subarray(0, 32 * genotypes),
    c.events.bytes.subarray(0, 32 * events),
    ...GENOTYPE_COLUMNS.map((name) => bytesOf(c[name], genotypes * perEntry(name))),
    ...EVENT_COLUMNS.map((name) => bytesOf(c[name], events)),
  ];
}

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * Encodes a state built from a store (distinct events) and its watermark.
 * The cache is a local shortcut, never hashed, signed or sent: a JSON head
 * (the small tables; V8 writes and parses JSON fast and keeps every finite
 * double exactly), then the state's columns and id tables as their raw
 * bytes, which open with a copy each rather than a parse.
 */
export function encodeState(state: ProjectionState, watermark: Watermark): Uint8Array {
  const c = state.columns;
  const header: Header = {
    format: FORMAT,
    v: VERSION,
    littleEndian: LITTLE_ENDIAN,
    watermark: { position: watermark.position, block: watermark.block },
    events: state.events,
    unknown: state.unknown,
    genotypes: c.genotypes.size,
    eventIds: c.events.size,
    authors: c.authors,
    bestVectors: [...c.bestVector].map(([g, v]) => [g, [...v]]),
    small: {
      runs: [...state.runs.values()],
      selections: [...state.selections.values()],
      runBest: [...state.runBest],
      champions: [...state.champions],
      runTotals: [...state.runTotals],
      authors: [...state.authors],
    },
  };
  const head = utf8.encode(JSON.stringify(header));
  const parts = sections(c, c.genotypes.size, c.events.size);
  let size = align8(4 + head.length);
  for (const p of parts) size += align8(p.length);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let at = align8(4 + head.length);
  for (const p of parts) {
    out.set(p, at);
    at += align8(p.length);
  }
  return out;
}

/** Checks a count or reference read from a cache: an integer in [0, n]. */
function upTo(x: unknown, n: number): number {
  if (!Number.isInteger(x) || (x as number) < 0 || (x as number) > n) {
    throw new TypeError(`bad reference ${String(x)}`);
  }
  return x as number;
}

/**
 * Fills the columns of `c` from a cache's sections (after its head, at
 * `at`), then checks every reference and counts what the columns hold.
 */
function decodeColumns(c: StateColumns, header: Header, bytes: Uint8Array, at: number): void {
  const genotypes = upTo(header.genotypes, 2 ** 31);
  const events = upTo(header.eventIds, 2 ** 31);
  for (const a of header.authors) c.author(a);
  const authors = c.authors.length;
  if (authors !== header.authors.length) throw new TypeError('repeated author');
  c.reserve(genotypes, events);
  // The state's own (empty) columns give each section's length.
  const parts = sections(c, genotypes, events);
  let size = at;
  for (const p of parts) size += align8(p.length);
  if (size !== bytes.length) throw new TypeError('cache length does not match its head');
  const [genotypeIds, eventIds] = parts;
  for (let i = 0; i < genotypes; i++) {
    if (c.genotype(bytes, at + 32 * i) !== i) throw new TypeError('repeated genotype id');
  }
  at += align8(genotypeIds!.length);
  for (let i = 0; i < events; i++) {
    if (c.event(bytes, at + 32 * i) !== i) throw new TypeError('repeated event id');
  }
  at += align8(eventIds!.length);
  // Views of the columns as they are now (interning did not grow them: reserved).
  for (const view of sections(c, genotypes, events).slice(2)) {
    view.set(bytes.subarray(at, at + view.length));
    at += align8(view.length);
  }

  for (const [g, vector] of header.bestVectors) {
    if (!c.hasBest(upTo(g, genotypes - 1)) || !Array.isArray(vector)) {
      throw new TypeError('bad vector fitness');
    }
    c.bestVector.set(g, vector);
  }
  let origins = 0;
  let bests = 0;
  for (let g = 0; g < genotypes; g++) {
    const kind = c.originKind[g];
    if (kind !== Kind.none) {
      if (kind !== Kind.seed && kind !== Kind.mutation) throw new TypeError('bad origin kind');
      upTo(c.originEvent[g], events - 1);
      upTo(c.originAuthor[g], authors - 1);
      upTo(c.originParent[g], genotypes);
      upTo(c.originMate[g], genotypes);
      origins += 1;
    }
    if (upTo(c.bestAuthor[g], authors) !== 0) {
      upTo(c.bestRun[g], events - 1);
      if (Number.isNaN(c.bestFitness[g]) && !c.bestVector.has(g)) {
        throw new TypeError('missing vector fitness');
      }
      bests += 1;
    }
  }
  let mutations = 0;
  let seeds = 0;
  for (let e = 0; e < events; e++) {
    if (upTo(c.via[e], events + 1) !== 0) mutations += 1;
    if (upTo(c.seedRun[e], events) !== 0) seeds += 1;
  }
  c.origins = origins;
  c.bests = bests;
  c.mutations = mutations;
  c.seeds = seeds;
}

/**
 * Decodes a cached state. Throws `STALE_CACHE` for anything written by
 * another format version, or damaged (the caller rebuilds from the log).
 */
export function decodeState(bytes: Uint8Array): { state: ProjectionState; watermark: Watermark } {
  let header: Header;
  let at: number;
  try {
    const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
      0,
      true,
    );
    header = JSON.parse(fromUtf8.decode(bytes.subarray(4, 4 + length))) as Header;
    at = align8(4 + length);
  } catch (err) {
    throw new ProjectionError('STALE_CACHE', 'projection cache does not parse', { cause: err });
  }
  if (
    header === null ||
    typeof header !== 'object' ||
    header.format !== FORMAT ||
    header.v !== VERSION ||
    header.littleEndian !== LITTLE_ENDIAN
  ) {
    throw new ProjectionError('STALE_CACHE', 'projection cache has another format version');
  }
  try {
    const small = header.small as unknown as {
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
    decodeColumns(state.columns, header, bytes, at);
    for (const r of small.runs) state.runs.set(r.id, r);
    for (const s of small.selections) state.selections.set(s.id, s);
    for (const [k, v] of small.runBest) state.runBest.set(k, v);
    for (const [k, v] of small.champions) state.champions.set(k, v);
    for (const [k, v] of small.runTotals) state.runTotals.set(k, v);
    for (const [k, v] of small.authors) state.authors.set(k, v);
    state.events = header.events;
    state.unknown = header.unknown;
    if (!Number.isSafeInteger(header.watermark.position)) throw new TypeError('bad watermark');
    return {
      state,
      watermark: { position: header.watermark.position, block: header.watermark.block },
    };
  } catch (err) {
    throw new ProjectionError('STALE_CACHE', 'projection cache is damaged', { cause: err });
  }
}
