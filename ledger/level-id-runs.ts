import type { Level } from 'level';
import { bufferView } from '../crypto/index.js';
import { LedgerError } from './errors.js';
import { prefixEnd } from './level-layout.js';

type Db = Level<Uint8Array, Uint8Array>;

/** What a write batch offers the runs: puts and deletes (a LevelDB chained batch). */
export interface RunBatch {
  put(key: Uint8Array, value: Uint8Array): unknown;
  del(key: Uint8Array): unknown;
}

/** Bytes of an id. */
const ID = 32;
/** Bytes of an entry: an id, then its value (log position u64 ‖ event index u16). */
export const RUN_ENTRY = ID + 10;
/** Entries per stored chunk (~2.7 kB: LevelDB reads a whole value to serve one entry of it). */
const CHUNK_ENTRIES = 64;
/** Runs of one level merged into one run of the next. */
const FANOUT = 8;
/**
 * No merge makes a run larger than this: a merge is read, sorted and
 * written inside the write that sets it off, so its size bounds that
 * write's memory (~90 MB) and delay. Runs this large stay side by side;
 * their Bloom filters keep lookups to about one chunk read.
 */
export const MAX_RUN_ENTRIES = 2 ** 21;
/** Bloom filter bits per entry and probes per id: ~1% false positives. */
const BLOOM_BITS = 10;
const BLOOM_PROBES = 6;
/** A run's descriptor is stored in pieces of at most this many bytes. */
const PIECE = 64 * 1024;

/** Second key byte, under the index's table byte. */
const Sub = { descriptor: 0x01, chunk: 0x02, retired: 0x03 } as const;

function runKey(table: number, sub: number, run: number, tailBytes: number): Buffer {
  const k = Buffer.allocUnsafe(6 + tailBytes);
  k[0] = table;
  k[1] = sub;
  k.writeUInt32BE(run, 2);
  return k;
}

function chunkKey(table: number, run: number, chunk: number): Buffer {
  const k = runKey(table, Sub.chunk, run, 4);
  k.writeUInt32BE(chunk, 6);
  return k;
}

function damaged(what: string): LedgerError {
  return new LedgerError(
    'STORE_UNAVAILABLE',
    `the store's event index is damaged (${what}); restore the store from an exported log ` +
      `("evoledger import") or from a peer`,
  );
}

/** One immutable sorted run: its chunks are in LevelDB; its fences and Bloom filter here. */
class Run {
  constructor(
    readonly no: number,
    readonly level: number,
    readonly count: number,
    /** The first id of each chunk. */
    readonly fences: Buffer,
    readonly bloom: Uint32Array,
  ) {}

  get chunks(): number {
    return this.fences.byteLength / ID;
  }

  /** False when the run certainly does not hold `id`. */
  mayHold(id: Uint8Array): boolean {
    const mask = this.bloom.length * 32 - 1;
    for (let p = 0; p < BLOOM_PROBES; p++) {
      const bit = probe(id, p) & mask;
      if ((this.bloom[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  /** The chunk where entries for `id` begin, if it holds any: the last whose first id is below `id`. */
  chunkFor(id: Uint8Array): number {
    let lo = 0;
    let hi = this.chunks - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.fences.compare(id, 0, ID, mid * ID, mid * ID + ID) < 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The stored descriptor: level u8, count u32, chunks u32, fences, Bloom words (LE). */
  encode(): Buffer {
    const out = Buffer.allocUnsafe(9 + this.fences.byteLength + this.bloom.byteLength);
    out[0] = this.level;
    out.writeUInt32BE(this.count, 1);
    out.writeUInt32BE(this.chunks, 5);
    this.fences.copy(out, 9);
    out.set(
      new Uint8Array(this.bloom.buffer, this.bloom.byteOffset, this.bloom.byteLength),
      9 + this.fences.byteLength,
    );
    return out;
  }

  static decode(no: number, bytes: Buffer): Run {
    if (bytes.byteLength < 9) throw damaged(`run ${no} has a truncated descriptor`);
    const count = bytes.readUInt32BE(1);
    const chunks = bytes.readUInt32BE(5);
    const bloomBytes = bytes.byteLength - 9 - chunks * ID;
    if (chunks !== Math.ceil(count / CHUNK_ENTRIES) || bloomBytes !== bloomWords(count) * 4) {
      throw damaged(`run ${no} has a descriptor of the wrong size`);
    }
    const fences = Buffer.from(bytes.subarray(9, 9 + chunks * ID));
    const bloom = new Uint32Array(bloomBytes / 4);
    new Uint8Array(bloom.buffer).set(bytes.subarray(9 + chunks * ID));
    return new Run(no, bytes[0]!, count, fences, bloom);
  }
}

/** Bloom probe `p` of an id: ids are hashes, so their bytes are the hash functions. */
function probe(id: Uint8Array, p: number): number {
  const o = 4 * p;
  return (id[o]! | (id[o + 1]! << 8) | (id[o + 2]! << 16) | (id[o + 3]! << 24)) >>> 0;
}

/** Words of a run's Bloom filter: a power of two of bits, ≥ BLOOM_BITS per entry. */
function bloomWords(count: number): number {
  let bits = 64;
  while (bits < count * BLOOM_BITS) bits *= 2;
  return bits / 32;
}

/** `entries` (sorted, count × RUN_ENTRY) as a run numbered `no` at `level`. */
function runOf(no: number, level: number, entries: Buffer): Run {
  const count = entries.byteLength / RUN_ENTRY;
  const chunks = Math.ceil(count / CHUNK_ENTRIES);
  const fences = Buffer.allocUnsafe(chunks * ID);
  for (let c = 0; c < chunks; c++) {
    const at = c * CHUNK_ENTRIES * RUN_ENTRY;
    entries.copy(fences, c * ID, at, at + ID);
  }
  const bloom = new Uint32Array(bloomWords(count));
  const mask = bloom.length * 32 - 1;
  for (let i = 0; i < count; i++) {
    const id = entries.subarray(i * RUN_ENTRY, i * RUN_ENTRY + ID);
    for (let p = 0; p < BLOOM_PROBES; p++) {
      const bit = probe(id, p) & mask;
      bloom[bit >>> 5]! |= 1 << (bit & 31);
    }
  }
  return new Run(no, level, count, fences, bloom);
}

/** Compares entry `i` of `a` with entry `j` of `b` (id, then value). */
function compareEntries(a: Buffer, i: number, b: Buffer, j: number): number {
  return a.compare(
    b,
    j * RUN_ENTRY,
    j * RUN_ENTRY + RUN_ENTRY,
    i * RUN_ENTRY,
    i * RUN_ENTRY + RUN_ENTRY,
  );
}

/**
 * Sorts `entries` (count × RUN_ENTRY) by id, then value. A native sort of
 * numbers (each id's first 32 bits, then its place) orders nearly all of
 * them; entries sharing those bits are then put in order among themselves.
 */
export function sortEntries(entries: Buffer): Buffer {
  const count = entries.byteLength / RUN_ENTRY;
  if (count >= 2 ** 21) throw new RangeError(`too many entries for one run: ${count}`);
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = entries.readUInt32BE(i * RUN_ENTRY) * 2 ** 21 + i;
  keys.sort();
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = keys[i]! % 2 ** 21;
  // Runs of equal 32-bit prefixes: insertion sort by whole entry.
  for (let i = 1; i < count; i++) {
    if (Math.floor(keys[i]! / 2 ** 21) !== Math.floor(keys[i - 1]! / 2 ** 21)) continue;
    for (let j = i; j > 0; j--) {
      if (Math.floor(keys[j]! / 2 ** 21) !== Math.floor(keys[j - 1]! / 2 ** 21)) break;
      if (compareEntries(entries, order[j - 1]!, entries, order[j]!) <= 0) break;
      const t = order[j]!;
      order[j] = order[j - 1]!;
      order[j - 1] = t;
    }
  }
  const out = Buffer.allocUnsafe(entries.byteLength);
  for (let i = 0; i < count; i++) {
    const from = order[i]! * RUN_ENTRY;
    entries.copy(out, i * RUN_ENTRY, from, from + RUN_ENTRY);
  }
  return out;
}

/**
 * Merges sorted entry buffers into one sorted buffer. Each input's next
 * entry is compared by its first 32 bits first (a number), and in whole
 * only when those are equal.
 */
export function mergeEntries(inputs: readonly Buffer[]): Buffer {
  const total = inputs.reduce((n, b) => n + b.byteLength, 0);
  const out = Buffer.allocUnsafe(total);
  const k = inputs.length;
  const at = new Int32Array(k);
  const counts = Int32Array.from(inputs, (b) => b.byteLength / RUN_ENTRY);
  // The first 32 bits of each input's next entry; -1 once it is used up.
  const heads = new Float64Array(k);
  const advance = (i: number) => {
    heads[i] = at[i]! < counts[i]! ? inputs[i]!.readUInt32BE(at[i]! * RUN_ENTRY) : -1;
  };
  for (let i = 0; i < k; i++) advance(i);
  for (let o = 0; o < total; o += RUN_ENTRY) {
    let best = -1;
    for (let i = 0; i < k; i++) {
      const h = heads[i]!;
      if (h < 0) continue;
      if (
        best === -1 ||
        h < heads[best]! ||
        (h === heads[best]! && compareEntries(inputs[i]!, at[i]!, inputs[best]!, at[best]!) < 0)
      ) {
        best = i;
      }
    }
    const from = at[best]! * RUN_ENTRY;
    inputs[best]!.copy(out, o, from, from + RUN_ENTRY);
    at[best]! += 1;
    advance(best);
  }
  return out;
}

/** A write's part in the runs: what to put in its batch, and what to do once it landed. */
export interface RunsWrite {
  apply(batch: RunBatch): void;
  commit(): void;
}

/**
 * An index from 32-byte ids to fixed-size values, kept as sorted runs
 * inside the store's LevelDB (a log-structured merge index): each write
 * adds one run holding its entries, eight runs of a level are merged into
 * one run of the next, and a lookup asks each run whose Bloom filter may
 * hold the id, newest first, reading one ~5 kB chunk from it.
 *
 * Why not one LevelDB entry per id: ids are hashes, so such entries land
 * all over the key space, and LevelDB spent ~2.8 µs of CPU on each (memtable
 * insert, write-ahead log, compactions that rewrite random keys), more than
 * the rest of an append. A run is a few large values written in key order.
 *
 * Keys, under the index's table byte `T`:
 * `T ‖ 01 ‖ run u32 ‖ piece u16` a run's descriptor (level, count, fences,
 * Bloom filter) in pieces; `T ‖ 02 ‖ run u32 ‖ chunk u32` its entries;
 * `T ‖ 03 ‖ run u32` a merged-away run whose chunks are still to delete.
 * A merged-away run's chunks are deleted by the next write, not by the
 * merge's own: a synchronous lookup that runs after the merge's batch has
 * landed but before this object learns of it still finds them.
 */
export class IdRuns {
  readonly #db: Db;
  readonly #table: number;
  /** Newest first. */
  #runs: Run[];
  #nextRun: number;
  /** Runs merged away whose chunks the next write deletes. */
  #retired: { no: number; chunks: number }[] = [];

  readonly #maxRunEntries: number;

  private constructor(db: Db, table: number, runs: Run[], maxRunEntries: number) {
    this.#maxRunEntries = maxRunEntries;
    this.#db = db;
    this.#table = table;
    this.#runs = runs.sort((a, b) => b.no - a.no);
    this.#nextRun = runs.reduce((n, r) => Math.max(n, r.no + 1), 0);
  }

  /** Loads the runs of the index under `table`, finishing any deletions a crash cut short. */
  static async open(
    db: Db,
    table: number,
    { maxRunEntries = MAX_RUN_ENTRIES }: { maxRunEntries?: number } = {},
  ): Promise<IdRuns> {
    const pieces = new Map<number, Buffer[]>();
    const prefix = Buffer.from([table, Sub.descriptor]);
    for await (const [k, v] of db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
      const no = bufferView(k).readUInt32BE(2);
      const list = pieces.get(no) ?? [];
      list.push(Buffer.from(v));
      pieces.set(no, list);
    }
    const runs = [...pieces].map(([no, list]) => Run.decode(no, Buffer.concat(list)));
    const index = new IdRuns(db, table, runs, maxRunEntries);
    const retired = Buffer.from([table, Sub.retired]);
    for await (const [k, v] of db.iterator({ gte: retired, lt: prefixEnd(retired) })) {
      const no = bufferView(k).readUInt32BE(2);
      index.#retired.push({ no, chunks: bufferView(v).readUInt32BE(0) });
      index.#nextRun = Math.max(index.#nextRun, no + 1);
    }
    return index;
  }

  /** Number of runs (for tests and benchmarks). */
  get runs(): number {
    return this.#runs.length;
  }

  /** Number of stored chunks the runs hold (for tests). */
  get chunks(): number {
    return this.#runs.reduce((n, r) => n + r.chunks, 0);
  }

  /** Calls `visit` with each value stored for `id` (views, valid during the call), newest run first. */
  lookupNow(id: Uint8Array, visit: (value: Buffer) => void): void {
    for (const run of this.#runs) {
      if (!run.mayHold(id)) continue;
      for (let c = run.chunkFor(id); c < run.chunks; c++) {
        const raw = this.#db.getSync(chunkKey(this.#table, run.no, c));
        if (raw === undefined) throw damaged(`chunk ${c} of run ${run.no} is missing`);
        const chunk = bufferView(raw);
        const n = chunk.byteLength / RUN_ENTRY;
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (chunk.compare(id, 0, ID, mid * RUN_ENTRY, mid * RUN_ENTRY + ID) < 0) lo = mid + 1;
          else hi = mid;
        }
        let i = lo;
        for (; i < n; i++) {
          if (chunk.compare(id, 0, ID, i * RUN_ENTRY, i * RUN_ENTRY + ID) !== 0) break;
          visit(chunk.subarray(i * RUN_ENTRY + ID, (i + 1) * RUN_ENTRY));
        }
        // Entries for the id may go on in the next chunk only if this one ended on them.
        if (i < n) break;
      }
    }
  }

  /**
   * Prepares a write adding `entries` (count × RUN_ENTRY, any order) as a
   * new run, with the merges it sets off (whose runs are read here).
   */
  async write(entries: Buffer): Promise<RunsWrite> {
    const table = this.#table;
    const puts: [Buffer, Buffer][] = [];
    const dels: Buffer[] = [];
    for (const r of this.#retired) {
      for (let c = 0; c < r.chunks; c++) dels.push(chunkKey(table, r.no, c));
      dels.push(runKey(table, Sub.retired, r.no, 0));
    }
    const deleted = this.#retired;
    let runs = this.#runs;
    const merged: Run[] = [];
    if (entries.byteLength > 0) {
      let data = sortEntries(entries);
      let run = runOf(this.#nextRun++, 0, data);
      runs = [run, ...runs];
      // Cascade: while a level holds FANOUT runs, merge them into one of the
      // next. The run this write made is always among them (it is the
      // newest), so only the last run made is stored.
      for (let level = 0; ; level++) {
        const same = runs.filter((r) => r.level === level);
        if (same.length < FANOUT) break;
        if (same.reduce((n, r) => n + r.count, 0) > this.#maxRunEntries) break;
        const stored = same.filter((r) => r !== run);
        const inputs = [data, ...(await Promise.all(stored.map((r) => this.#read(r))))];
        merged.push(...stored);
        data = mergeEntries(inputs);
        run = runOf(this.#nextRun++, level + 1, data);
        runs = [run, ...runs.filter((r) => !same.includes(r))];
      }
      this.#stageRun(run, data, puts);
    }
    for (const r of merged) {
      for (let p = 0; p < this.#pieces(r); p++) dels.push(this.#pieceKey(r.no, p));
      const v = Buffer.allocUnsafe(4);
      v.writeUInt32BE(r.chunks, 0);
      puts.push([runKey(table, Sub.retired, r.no, 0), v]);
    }
    return {
      apply: (batch) => {
        for (const k of dels) batch.del(k);
        for (const [k, v] of puts) batch.put(k, v);
      },
      commit: () => {
        this.#runs = runs.sort((a, b) => b.no - a.no);
        this.#retired = this.#retired.filter((r) => !deleted.includes(r));
        for (const r of merged) this.#retired.push({ no: r.no, chunks: r.chunks });
      },
    };
  }

  #pieces(run: Run): number {
    return Math.max(1, Math.ceil(run.encode().byteLength / PIECE));
  }

  #pieceKey(no: number, piece: number): Buffer {
    const k = runKey(this.#table, Sub.descriptor, no, 2);
    k.writeUInt16BE(piece, 6);
    return k;
  }

  /** Puts `run`'s chunks and descriptor. */
  #stageRun(run: Run, entries: Buffer, puts: [Buffer, Buffer][]): void {
    const chunkBytes = CHUNK_ENTRIES * RUN_ENTRY;
    for (let c = 0; c < run.chunks; c++) {
      puts.push([
        chunkKey(this.#table, run.no, c),
        entries.subarray(c * chunkBytes, (c + 1) * chunkBytes),
      ]);
    }
    const descriptor = run.encode();
    for (let p = 0; p * PIECE < descriptor.byteLength || p === 0; p++) {
      puts.push([this.#pieceKey(run.no, p), descriptor.subarray(p * PIECE, (p + 1) * PIECE)]);
    }
  }

  /** All entries of a stored run. */
  async #read(run: Run): Promise<Buffer> {
    const keys = Array.from({ length: run.chunks }, (_, c) => chunkKey(this.#table, run.no, c));
    const chunks = await this.#db.getMany(keys);
    const out = Buffer.allocUnsafe(run.count * RUN_ENTRY);
    let at = 0;
    chunks.forEach((chunk, c) => {
      if (chunk === undefined) throw damaged(`chunk ${c} of run ${run.no} is missing`);
      out.set(chunk, at);
      at += chunk.byteLength;
    });
    if (at !== out.byteLength)
      throw damaged(`run ${run.no} holds ${at / RUN_ENTRY} entries, not ${run.count}`);
    return out;
  }
}
