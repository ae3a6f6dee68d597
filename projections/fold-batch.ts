import {
  CborReader,
  CryptoError,
  idAt,
  UnexpectedShape,
  unexpectedShape,
} from '../crypto/index.js';
import type { EventId, GenotypeId, PublicKey, RealmId, IdCache } from '../crypto/index.js';
import {
  decodeRecord,
  kinds,
  LedgerError,
  Limits,
  storedBlockRecords,
  storedRecordKind,
} from '../ledger/index.js';
import type { LedgerEvent, StoredBlockBytes, TaskRef } from '../ledger/index.js';
import { admitKnown, evolve, foldEvaluation, foldMutation, foldSelection } from './evolve.js';
import type { ProjectionState } from './state.js';

/**
 * Stored blocks in the form the fold reads them, made where the blocks are
 * decoded (a worker thread) and folded where the state lives. The bulk
 * kinds become rows of numbers that name their ids where they lie in the
 * blocks' own bytes (hex strings are made only by the thread that keeps
 * them); every other event is decoded as usual. Typed arrays cross threads
 * by transfer, where event objects would be copied field by field; and
 * folding a row calls the very functions {@link evolve} calls, with the
 * fields `evolve` reads, so a batch folds to what its events fold to.
 *
 * An id is named by `source * 2^24 + offset`: its 32 bytes start at
 * `offset` in `sources[source]` (block `b`'s bytes are source `2b`, its
 * event ids source `2b + 1`; stored blocks are smaller than 2^24 bytes);
 * -1 names none. Rows (`block` indexes `realms` and `authors`):
 * - mutation: block, id, via (first dep), child, parent, mate, generation, ops
 * - evaluation: block, id, run, genotype, task (indexes `tasks`), fitness,
 *   cost, solved (1 or 0), evaluations
 * - selection: block, id, run, previous, generation, method (indexes
 *   `strings`), best, considered (deps), n, then its n survivors
 */
export interface FoldBatch {
  readonly realms: readonly RealmId[];
  readonly authors: readonly PublicKey[];
  readonly sources: readonly Uint8Array[];
  readonly strings: readonly string[];
  readonly tasks: readonly TaskRef[];
  readonly mutations: Float64Array;
  readonly evaluations: Float64Array;
  readonly selections: Float64Array;
  /** Events of other kinds, versions or layouts, decoded. */
  readonly others: readonly LedgerEvent[];
}

const MUTATION = 8;
const EVALUATION = 9;
const SELECTION = 9;
const SOURCE = 2 ** 24;

/** The record version whose layout {@link readRow} knows, for each kind it reads. */
const LAYOUT_VERSION = 1;

/** A growable array of numbers, kept from batch to batch. */
class Column {
  #data = new Float64Array(1 << 16);
  #length = 0;

  push(x: number): void {
    if (this.#length === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#length++] = x;
  }

  /** The numbers pushed since the last call, in an array of their own (transferable). */
  take(): Float64Array {
    const out = this.#data.slice(0, this.#length);
    this.#length = 0;
    return out;
  }
}

/** Builds {@link FoldBatch}es; its columns serve batch after batch. */
class Builder {
  realms: RealmId[] = [];
  authors: PublicKey[] = [];
  sources: Uint8Array[] = [];
  others: LedgerEvent[] = [];
  #strings: string[] = [];
  #stringIndex = new Map<string, number>();
  #tasks: TaskRef[] = [];
  #taskIndex = new Map<string, number>();
  readonly mutations = new Column();
  readonly evaluations = new Column();
  readonly selections = new Column();

  string(s: string): number {
    let i = this.#stringIndex.get(s);
    if (i === undefined) {
      i = this.#strings.length;
      this.#strings.push(s);
      this.#stringIndex.set(s, i);
    }
    return i;
  }

  task(id: string, version: number): number {
    const key = `${version}@${id}`;
    let i = this.#taskIndex.get(key);
    if (i === undefined) {
      i = this.#tasks.length;
      this.#tasks.push({ id, version });
      this.#taskIndex.set(key, i);
    }
    return i;
  }

  /** The batch built since the last call. */
  take(): FoldBatch {
    const batch: FoldBatch = {
      realms: this.realms,
      authors: this.authors,
      sources: this.sources,
      strings: this.#strings,
      tasks: this.#tasks,
      mutations: this.mutations.take(),
      evaluations: this.evaluations.take(),
      selections: this.selections.take(),
      others: this.others,
    };
    this.realms = [];
    this.authors = [];
    this.sources = [];
    this.others = [];
    this.#strings = [];
    this.#stringIndex = new Map();
    this.#tasks = [];
    this.#taskIndex = new Map();
    return batch;
  }
}

/** Reads the record's `deps` key and array head: the number of deps. */
function deps(r: CborReader): number {
  r.key('deps');
  const n = r.array();
  if (n > Limits.maxDeps) unexpectedShape();
  return n;
}

/** Reads (and so checks) `n` ids. */
function skipIds(r: CborReader, n: number): void {
  for (let i = 0; i < n; i++) r.idAt();
}

/** Reads the record's last entry, its kind, and checks that nothing follows. */
function finish(r: CborReader, kind: string): void {
  r.key('kind');
  r.key(kind);
  r.end();
}

/**
 * Reads a record of a bulk kind, at the version whose layout this file
 * knows, in place into a row: canonical form checked as everywhere, ids
 * named where they lie (`at` names the record's first byte, `event` its
 * id). Each branch reads the whole record before it writes its row. Throws
 * `UnexpectedShape` for any other record.
 */
function readRow(out: Builder, rec: Uint8Array, block: number, at: number, event: number): void {
  const kind = storedRecordKind(rec);
  if (
    (kind !== 'evaluation' && kind !== 'mutation' && kind !== 'selection') ||
    kinds[kind].version !== LAYOUT_VERSION
  ) {
    unexpectedShape();
  }
  const r = new CborReader(rec);
  r.map(4);
  r.key('v');
  if (r.uint() !== LAYOUT_VERSION) unexpectedShape();
  r.key('body');
  if (kind === 'evaluation') {
    r.map(8);
    r.key('run');
    const run = r.idAt();
    r.key('cost');
    const cost = r.number();
    r.key('seed');
    r.uint();
    r.key('task');
    r.map(2); // task parameters are left to decodeRecord
    r.key('id');
    const taskId = r.text();
    r.key('version');
    const version = r.uint();
    r.key('solved');
    const solved = r.bool();
    r.key('fitness');
    const fitness = r.number(); // so is a vector
    r.key('genotype');
    const genotype = r.idAt();
    r.key('evaluations');
    const evaluations = r.uint();
    skipIds(r, deps(r));
    finish(r, kind);
    const c = out.evaluations;
    c.push(block);
    c.push(event);
    c.push(at + run);
    c.push(at + genotype);
    c.push(out.task(taskId, version));
    c.push(fitness);
    c.push(cost);
    c.push(solved ? 1 : 0);
    c.push(evaluations);
  } else if (kind === 'mutation') {
    const entries = r.map();
    r.key('ops');
    const ops = r.array();
    for (let i = 0; i < ops; i++) r.skip();
    const mate = entries === 6 && r.hasKey('mate') ? r.idAt() : -1;
    if (entries !== (mate === -1 ? 5 : 6)) unexpectedShape();
    r.key('seed');
    r.uint();
    r.key('child');
    const child = r.idAt();
    r.key('parent');
    const parent = r.idAt();
    r.key('generation');
    const generation = r.uint();
    const n = deps(r);
    const via = n === 0 ? -1 : r.idAt();
    skipIds(r, n - 1);
    finish(r, kind);
    const c = out.mutations;
    c.push(block);
    c.push(event);
    c.push(via === -1 ? -1 : at + via);
    c.push(at + child);
    c.push(at + parent);
    c.push(mate === -1 ? -1 : at + mate);
    c.push(generation);
    c.push(ops);
  } else {
    r.map(6);
    r.key('run');
    const run = r.idAt();
    r.key('best');
    const best = r.number();
    r.key('method');
    const method = r.text();
    r.key('previous');
    const previous = r.hasNull() ? -1 : r.idAt();
    r.key('survivors');
    const survivors = new Array<number>(r.array());
    for (let i = 0; i < survivors.length; i++) survivors[i] = r.idAt();
    r.key('generation');
    const generation = r.uint();
    const considered = deps(r);
    skipIds(r, considered);
    finish(r, kind);
    const c = out.selections;
    c.push(block);
    c.push(event);
    c.push(at + run);
    c.push(previous === -1 ? -1 : at + previous);
    c.push(generation);
    c.push(out.string(method));
    c.push(best);
    c.push(considered);
    c.push(survivors.length);
    for (const g of survivors) c.push(at + g);
  }
}

const builder = new Builder();

/**
 * The batch of `blocks`: their events of the bulk kinds as rows, the others
 * decoded as stored records are (`decodeRecord` with `trusted`). The batch
 * holds the blocks' bytes. Throws `SCHEMA_VIOLATION` for a block whose bytes
 * do not hold its records, or a record that does not decode.
 */
export function foldBatchOf(blocks: readonly StoredBlockBytes[]): FoldBatch {
  const out = builder;
  for (const block of blocks) {
    const { bytes, eventIds } = block;
    if (bytes.byteLength >= SOURCE) {
      throw new LedgerError('OVERSIZED', `stored block ${block.id} is ${bytes.byteLength} bytes`);
    }
    const records = storedBlockRecords(block);
    const b = out.realms.length;
    out.realms.push(block.realm);
    out.authors.push(block.author);
    out.sources.push(bytes, eventIds);
    const bytesRef = SOURCE * (2 * b) - bytes.byteOffset;
    const idsRef = SOURCE * (2 * b + 1);
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      try {
        readRow(out, rec, b, bytesRef + rec.byteOffset, idsRef + 32 * i);
      } catch (err) {
        // Another kind, version or layout, or not canonical: decoded (which says why it refuses).
        if (!(err instanceof UnexpectedShape) && !(err instanceof CryptoError)) throw err;
        const id = idAt<EventId>(eventIds, 32 * i);
        const envelope = { id, realm: block.realm, author: block.author, seq: block.first + i };
        out.others.push(decodeRecord(rec, envelope, { trusted: true }));
      }
    }
  }
  return out.take();
}

/** The buffers of a batch, each once: what to transfer rather than copy. */
export function transferables(batch: FoldBatch): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of [...batch.sources, batch.mutations, batch.evaluations, batch.selections]) {
    buffers.add(a.buffer as ArrayBuffer);
  }
  return [...buffers];
}

/**
 * Folds a batch into the state: the same as folding its events one by one
 * with {@link evolve}. Ids named again (a run, a parent, its origin) come
 * through `ids`, so that the state shares one string per id; ids seen once
 * (evaluations) do not, so as not to push the others out.
 */
export function foldBatch(state: ProjectionState, batch: FoldBatch, ids: IdCache): void {
  const { sources, realms, authors } = batch;
  const fresh = <T extends EventId | GenotypeId>(ref: number): T =>
    idAt<T>(sources[Math.floor(ref / SOURCE)]!, ref % SOURCE);
  const id = <T extends EventId | GenotypeId>(ref: number): T =>
    ids.id<T>(sources[Math.floor(ref / SOURCE)]!, ref % SOURCE);
  const maybe = <T extends EventId | GenotypeId>(ref: number): T | null =>
    ref < 0 ? null : id<T>(ref);

  const m = batch.mutations;
  for (let i = 0; i < m.length; i += MUTATION) {
    const event = id<EventId>(m[i + 1]!);
    const author = authors[m[i]!]!;
    if (!admitKnown(state, event, author)) continue;
    foldMutation(
      state,
      event,
      author,
      maybe<EventId>(m[i + 2]!),
      id<GenotypeId>(m[i + 3]!),
      id<GenotypeId>(m[i + 4]!),
      maybe<GenotypeId>(m[i + 5]!),
      m[i + 6]!,
      m[i + 7]!,
    );
  }

  const v = batch.evaluations;
  for (let i = 0; i < v.length; i += EVALUATION) {
    const event = fresh<EventId>(v[i + 1]!);
    const author = authors[v[i]!]!;
    if (!admitKnown(state, event, author)) continue;
    foldEvaluation(
      state,
      event,
      realms[v[i]!]!,
      author,
      id<EventId>(v[i + 2]!),
      id<GenotypeId>(v[i + 3]!),
      batch.tasks[v[i + 4]!]!,
      v[i + 5]!,
      v[i + 6]!,
      v[i + 7] === 1,
      v[i + 8]!,
    );
  }

  const s = batch.selections;
  for (let i = 0; i < s.length; i += SELECTION + s[i + 8]!) {
    const event = id<EventId>(s[i + 1]!);
    const author = authors[s[i]!]!;
    if (!admitKnown(state, event, author)) continue;
    const survivors = new Array<GenotypeId>(s[i + 8]!);
    for (let j = 0; j < survivors.length; j++) {
      survivors[j] = id<GenotypeId>(s[i + SELECTION + j]!);
    }
    foldSelection(
      state,
      event,
      realms[s[i]!]!,
      author,
      {
        run: id<EventId>(s[i + 2]!),
        generation: s[i + 4]!,
        previous: maybe<EventId>(s[i + 3]!),
        survivors,
        method: batch.strings[s[i + 5]!]!,
        best: s[i + 6]!,
      },
      s[i + 7]!,
    );
  }

  for (const e of batch.others) evolve(state, e);
}
