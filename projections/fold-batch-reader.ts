import {
  CborReader,
  CryptoError,
  idAt,
  UnexpectedShape,
  unexpectedShape,
} from '../crypto/index.js';
import type { EventId, PublicKey, RealmId } from '../crypto/index.js';
import {
  decodeRecord,
  kinds,
  LedgerError,
  Limits,
  storedBlockRecords,
  storedRecordKind,
} from '../ledger/index.js';
import type { LedgerEvent, StoredBlockBytes, TaskRef } from '../ledger/index.js';
import { MAX_BLOCKS, SOURCE } from './fold-batch.js';
import type { FoldBatch } from './fold-batch.js';

/*
 * Reading stored blocks into fold batches (their layout: `fold-batch.ts`):
 * the records of the bulk kinds read in place into rows, the others decoded.
 */

const ASCII = /^[\x20-\x7e]*$/;

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

  /** The task id of the last evaluation read (a cache only). */
  lastTaskId: string | undefined;
  #lastTask: { id: string; version: number; index: number } | undefined;

  task(id: string, version: number): number {
    const last = this.#lastTask;
    if (last !== undefined && last.id === id && last.version === version) return last.index;
    const key = `${version}@${id}`;
    let i = this.#taskIndex.get(key);
    if (i === undefined) {
      i = this.#tasks.length;
      this.#tasks.push({ id, version });
      this.#taskIndex.set(key, i);
    }
    this.#lastTask = { id, version, index: i };
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
    this.#lastTask = undefined;
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
    // Consecutive evaluations name the same task: its id is compared in place,
    // not decoded (an ASCII id only: its bytes are its char codes).
    const last = out.lastTaskId;
    const taskId = last !== undefined && r.hasKey(last) ? last : r.text();
    if (taskId !== last) out.lastTaskId = ASCII.test(taskId) ? taskId : undefined;
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
  try {
    for (const block of blocks) readBlock(builder, block);
  } catch (err) {
    builder.take(); // the next batch starts empty
    throw err;
  }
  return builder.take();
}

/** Reads a block's records into `out`. */
function readBlock(out: Builder, block: StoredBlockBytes): void {
  const { bytes, eventIds } = block;
  if (bytes.byteLength >= SOURCE) {
    throw new LedgerError('OVERSIZED', `stored block ${block.id} is ${bytes.byteLength} bytes`);
  }
  const records = storedBlockRecords(block);
  const b = out.realms.length;
  if (b === MAX_BLOCKS) throw new RangeError(`a fold batch holds at most ${MAX_BLOCKS} blocks`);
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
