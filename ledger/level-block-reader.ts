import type { Level } from 'level';
import type { BlockId, EventId } from '../crypto/index.js';
import { inclusionProof } from './block.js';
import type { InclusionProof, SignedBlock } from './block.js';
import type { LedgerEvent } from './event.js';
import { flattenBatches } from './flatten-batches.js';
import { BlockHead, BlockPart, joinedBytes, partOf, storedBlock } from './level-block-frame.js';
import type { StoredBlockInfo } from './level-block-frame.js';
import { LedgerError } from './errors.js';
import { matchesQuery } from './event-index.js';
import {
  key,
  kindFitsIndex,
  kindPrefix,
  logKey,
  prefixEnd,
  readU64,
  sizeName,
  Table,
} from './level-layout.js';
import { decodeRecord } from './record.js';
import { blockBytesOf } from './block-bytes.js';
import type { EventQuery, StoredBlockBytes, StoredEvent } from './store.js';

type Db = Level<Uint8Array, Uint8Array>;

/** Events of one block held by a part (or, for a block stored whole, by the block). */
interface Records {
  /** Index in the block of the first event. */
  readonly from: number;
  readonly size: number;
  eventId(i: number): EventId;
  record(i: number): Uint8Array;
}

/** A run of a block's records, with the events decoded from it so far. */
interface Run {
  readonly block: StoredBlockInfo;
  readonly records: Records;
  readonly events: (StoredEvent | undefined)[];
}

/** A whole stored block: its head and all its runs, in order. */
export interface StoredBlock {
  readonly head: BlockHead;
  readonly runs: readonly Run[];
}

/** The records of a block stored whole (no parts): read from the decoded block. */
function wholeRecords(block: SignedBlock): Records {
  return {
    from: 0,
    size: block.records.length,
    eventId: (i) => block.eventIds[i]!,
    record: (i) => block.records[i]!,
  };
}

const runOf = (block: StoredBlockInfo, records: Records): Run => ({
  block,
  records,
  events: new Array<undefined>(records.size),
});

const partRun = (part: BlockPart): Run => runOf(part.block, part);

/** A map that forgets its least recently used entry beyond `capacity`. */
class Lru<K, V> {
  readonly #map = new Map<K, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(k: K): V | undefined {
    const v = this.#map.get(k);
    if (v !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, v);
    }
    return v;
  }

  set(k: K, v: V): void {
    if (this.#map.size >= this.#capacity) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(k, v);
  }
}

/** Heads kept (~400 B each; read only for blocks stored whole, or to explain a missing part). */
const HEADS = 64;
/** Parts kept with their decoded events (~8 kB of records each). */
const RUNS = 512;
/** Whole blocks kept for `block()` (up to ~300 kB each at 1,000 events). */
const BLOCKS = 4;
/** Bytes a bulk iterator reads per step: a whole block of 1,000 events in one. */
const BULK_BYTES = 1024 * 1024;
const LOG_END = Buffer.from([Table.log + 1]);

function missing(position: number, part: number): LedgerError {
  return new LedgerError(
    'NOT_FOUND',
    part === 0
      ? `the log has no block at position ${position} although an index names it: the store is ` +
          `damaged; restore it from an exported log ("evoledger import") or from a peer`
      : `the log's block at position ${position} lacks its part ${part}: the store is damaged; ` +
          `restore it from an exported log ("evoledger import") or from a peer`,
  );
}

/**
 * Reads blocks and events of a {@link LevelStore} by log position (layout in
 * `level-block-frame.ts`).
 *
 * An event is read alone: the one part that holds it, a LevelDB value of a
 * few kB, read with `getSync`. A synchronous read of a small value costs
 * ~2 µs here against ~25 µs for the same read through LevelDB's thread pool
 * (measured), and a lineage walk makes thousands of them one after another.
 * Parts are kept (least recently used out) with the events decoded from
 * them, so neighbours of an event (the common case: a genotype's origin,
 * evaluation and children) cost nothing more. A block asked for by position
 * (by id, an author's chain, an author or realm index) is read the same
 * way, part by part (~0.2 ms for 1,000 events; an iterator per block cost
 * more, measured); the log scan goes through one async iterator.
 */
export class LevelBlockReader {
  readonly #db: Db;
  readonly #heads = new Lru<number, BlockHead>(HEADS);
  readonly #runs = new Lru<number, Run>(RUNS);
  readonly #blocks = new Lru<number, SignedBlock>(BLOCKS);

  constructor(db: Db) {
    this.#db = db;
  }

  /** The block at `position`, read now: its head and parts, each a small synchronous read. */
  blockNow(position: number): SignedBlock {
    let block = this.#blocks.get(position);
    if (block === undefined) {
      block = blockOf(this.#wholeNow(position));
      this.#blocks.set(position, block);
    }
    return block;
  }

  /** The bytes of the block at `position`, read now and not decoded: its head's lead and its parts' records. */
  bytesNow(position: number): { id: BlockId; bytes: Uint8Array } {
    const decoded = this.#blocks.get(position);
    if (decoded !== undefined) return { id: decoded.id, bytes: decoded.bytes };
    const head = this.#head(position);
    if (head.parts === 0) return { id: head.id, bytes: head.lead };
    return { id: head.id, bytes: joinedBytes(head, partsOf(this.#wholeNow(position))) };
  }

  /** The event at `index` of the block at `position`, if the block has one. */
  event(position: number, index: number): StoredEvent | undefined {
    const run = this.#runAt(position, index);
    const i = run === undefined ? -1 : index - run.records.from;
    return i < 0 || i >= run!.records.size ? undefined : eventOf(run!, i);
  }

  /**
   * The inclusion proof of event `index` of the block at `position`, read
   * from the block's head and the one part that holds the event (the head
   * keeps each part's Merkle root); undefined when the block has no such event.
   */
  proof(position: number, index: number): InclusionProof | undefined {
    const head = this.#head(position);
    if (!Number.isSafeInteger(index) || index < 0 || index >= head.count) return undefined;
    if (head.parts === 0) return inclusionProof(head.whole, index);
    const run = this.#runAt(position, index);
    if (run === undefined) throw missing(position, partOf(index));
    const part = run.records as BlockPart;
    const { headerBytes, signature } = head;
    return {
      headerBytes,
      signature,
      index,
      record: part.record(index - part.from),
      path: head.proof(part, index),
    };
  }

  /** The id and event range of the block at `position`, from its head alone. */
  info(position: number): StoredBlockInfo {
    return this.#head(position);
  }

  /** Whole blocks from log position `from`, in log order, through one LevelDB iterator. */
  scan(from: number): AsyncIterable<StoredBlock> {
    return this.#scan(logKey(from, 0), LOG_END);
  }

  /** Whole blocks whose keys are in [`gte`, `lt`). */
  async *#scan(gte: Buffer, lt: Buffer): AsyncIterable<StoredBlock> {
    const it = this.#db.iterator({ gte, lt, highWaterMarkBytes: BULK_BYTES });
    try {
      let head: BlockHead | undefined;
      let runs: Run[] = [];
      for (;;) {
        const entries = await it.nextv(1000);
        if (entries.length === 0) break;
        for (const [k, value] of entries) {
          const position = readU64(k, 1);
          const part = (k[9]! << 8) | k[10]!;
          if (part === 0) {
            if (head !== undefined) yield complete(head, runs);
            head = new BlockHead(position, value);
            runs = head.parts === 0 ? [runOf(head, wholeRecords(head.whole))] : [];
          } else {
            if (head?.position !== position) throw missing(position, 0);
            if (part !== runs.length + 1) throw missing(position, runs.length + 1);
            runs.push(partRun(new BlockPart(position, part, value, head)));
          }
        }
      }
      if (head !== undefined) yield complete(head, runs);
    } finally {
      await it.close();
    }
  }

  /**
   * Events matching `query` in log order. The scan is driven by the smallest
   * index the query names (sizes are event counts per index key), and every
   * other field is checked on the decoded event.
   */
  events(
    query: EventQuery,
    sizes: ReadonlyMap<string, number>,
    eventCount: number,
  ): AsyncIterable<StoredEvent> {
    return flattenBatches(() => this.#batches(query, sizes, eventCount)[Symbol.asyncIterator]());
  }

  /** The matching events, a batch at a time. */
  #batches(
    query: EventQuery,
    sizes: ReadonlyMap<string, number>,
    eventCount: number,
  ): AsyncIterable<StoredEvent[]> {
    let best: 'G' | 'K' | 'A' | 'R' | undefined;
    let cost = eventCount + 1;
    const consider = (table: 'K' | 'A' | 'R', name: string | undefined) => {
      if (name === undefined) return;
      const size = sizes.get(sizeName(table, name)) ?? 0;
      if (size < cost) {
        best = table;
        cost = size;
      }
    };
    if (query.genotype !== undefined) best = 'G';
    else {
      if (query.kind !== undefined && kindFitsIndex(query.kind)) consider('K', query.kind);
      consider('A', query.author);
      consider('R', query.realm);
    }
    switch (best) {
      case 'G':
        return this.#listed(key(Table.genotypes, [query.genotype!]), query, true);
      case 'K':
        return this.#listed(kindPrefix(query.kind!), query, false);
      case 'A':
        return this.#byAuthor(query, query.author!);
      case 'R':
        return this.#byRealm(query, query.realm!);
      default:
        return this.#all(query);
    }
  }

  async *#all(query: EventQuery): AsyncIterable<StoredEvent[]> {
    for await (const stored of this.scan(0)) yield matching(stored, query);
  }

  /**
   * Scans an index whose keys are `prefix ‖ position` and whose values list
   * event indexes; each listed event is read alone. `nextv` rather than
   * `for await`: a short list (a genotype's) then costs one round trip to
   * LevelDB's thread, not two. With `keep`, the parts read are kept for
   * later reads (a genotype's events are read again by its neighbours in a
   * walk); a kind scan reads most of the log and would only flush them.
   */
  async *#listed(prefix: Buffer, query: EventQuery, keep: boolean): AsyncIterable<StoredEvent[]> {
    const it = this.#db.iterator({ gte: prefix, lt: prefixEnd(prefix) });
    try {
      for (;;) {
        const entries = await it.nextv(256);
        if (entries.length === 0) break;
        let out: StoredEvent[] = [];
        for (const [k, indexes] of entries) {
          const position = readU64(k, prefix.length);
          // Listed indexes ascend: consecutive ones mostly share a part.
          let run: Run | undefined;
          for (let j = 0; j + 1 < indexes.length; j += 2) {
            const index = (indexes[j]! << 8) | indexes[j + 1]!;
            let i = run === undefined ? -1 : index - run.records.from;
            if (i < 0 || i >= run!.records.size) {
              run = this.#runAt(position, index, keep);
              i = run === undefined ? -1 : index - run.records.from;
              if (i < 0 || i >= run!.records.size) throw missing(position, partOf(index));
            }
            const event = eventOf(run!, i);
            if (matchesQuery(event, query)) out.push(event);
          }
          // Hand over a block's worth at a time: events held back longer
          // outlive young-generation collections (measured: 3× the GC time).
          if (out.length >= 256) {
            yield out;
            out = [];
          }
        }
        if (out.length > 0) yield out;
      }
    } finally {
      await it.close();
    }
  }

  async *#byAuthor(query: EventQuery, author: string): AsyncIterable<StoredEvent[]> {
    const prefix = key(Table.authors, [author]);
    const realm = query.realm === undefined ? undefined : Buffer.from(query.realm, 'hex');
    for await (const [k, blockRealm] of this.#db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
      // The index value is the block's realm: other realms are skipped unread.
      if (realm !== undefined && !realm.equals(blockRealm)) continue;
      yield matching(this.#wholeNow(readU64(k, 33)), query);
    }
  }

  async *#byRealm(query: EventQuery, realm: string): AsyncIterable<StoredEvent[]> {
    const prefix = key(Table.realms, [realm]);
    for await (const k of this.#db.keys({ gte: prefix, lt: prefixEnd(prefix) })) {
      yield matching(this.#wholeNow(readU64(k, 33)), query);
    }
  }

  #head(position: number): BlockHead {
    let head = this.#heads.get(position);
    if (head === undefined) {
      const value = this.#db.getSync(logKey(position, 0));
      if (value === undefined) throw missing(position, 0);
      head = new BlockHead(position, value);
      this.#heads.set(position, head);
    }
    return head;
  }

  /**
   * The run that holds event `index` of the block at `position`: its part,
   * or the whole block for a block stored whole; undefined when the block
   * has no such event.
   */
  #runAt(position: number, index: number, keep = true): Run | undefined {
    // Parts per block stay below 2^16 (at most 10,000 events a block).
    const k = position * 65536 + partOf(index);
    const whole = position * 65536;
    let run = this.#runs.get(k) ?? this.#runs.get(whole);
    if (run !== undefined) return run;
    const value = this.#db.getSync(logKey(position, partOf(index)));
    if (value !== undefined) {
      run = partRun(new BlockPart(position, partOf(index), value));
      if (keep) this.#runs.set(k, run);
      return run;
    }
    // No such part: the block is stored whole, has no event `index`, or is damaged.
    const head = this.#head(position);
    if (index >= head.count) return undefined;
    if (head.parts !== 0) throw missing(position, partOf(index));
    run = runOf(head, wholeRecords(head.whole));
    this.#runs.set(whole, run);
    return run;
  }

  /** Head and parts of the block at `position`, each a small synchronous read. */
  #wholeNow(position: number): StoredBlock {
    const head = this.#head(position);
    if (head.parts === 0) return { head, runs: [runOf(head, wholeRecords(head.whole))] };
    const runs: Run[] = [];
    for (let part = 1; part <= head.parts; part++) {
      const value = this.#db.getSync(logKey(position, part));
      if (value === undefined) throw missing(position, part);
      runs.push(partRun(new BlockPart(position, part, value, head)));
    }
    return { head, runs };
  }
}

/** Checks that a block read by a scan has all its parts. */
function complete(head: BlockHead, runs: Run[]): StoredBlock {
  const expected = Math.max(1, head.parts);
  if (runs.length !== expected) throw missing(head.position, runs.length + 1);
  return { head, runs };
}

/** The parts of a stored block that is stored in parts. */
const partsOf = (stored: StoredBlock): BlockPart[] =>
  stored.runs.map((r) => r.records as BlockPart);

/** The whole block of a stored block. */
export function blockOf(stored: StoredBlock): SignedBlock {
  return stored.head.parts === 0 ? stored.head.whole : storedBlock(stored.head, partsOf(stored));
}

/** A stored block as bytes (its own encoding and raw event ids), nothing decoded. */
export function bytesOf(stored: StoredBlock): StoredBlockBytes {
  const { head } = stored;
  if (head.parts === 0) return blockBytesOf(head.whole);
  const parts = partsOf(stored);
  const eventIds = new Uint8Array(32 * head.count);
  for (const part of parts) {
    for (let i = 0; i < part.size; i++) eventIds.set(part.eventIdBytes(i), 32 * (part.from + i));
  }
  const { id, realm, author, first, count } = head;
  return { id, realm, author, first, count, bytes: joinedBytes(head, parts), eventIds };
}

type Placed = LedgerEvent & { block?: BlockId; index?: number; position?: number };

/** Event `i` of a run (counted from the run's first), decoded once. */
function eventOf(run: Run, i: number): StoredEvent {
  let event = run.events[i];
  if (event === undefined) {
    const { block, records } = run;
    const index = records.from + i;
    const decoded = decodeRecord(
      records.record(i),
      {
        id: records.eventId(i),
        realm: block.realm,
        author: block.author,
        seq: block.first + index,
      },
      { trusted: true },
    ); // validated when it was stored; `verify` re-checks in full
    // decodeRecord returns a fresh object: give it its place rather than copy it.
    const placed = decoded as Placed;
    placed.block = block.id;
    placed.index = index;
    placed.position = block.position;
    event = placed as StoredEvent;
    run.events[i] = event;
  }
  return event;
}

/** Events of a whole stored block that match `query`. */
function matching(stored: StoredBlock, query: EventQuery): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const run of stored.runs) {
    for (let i = 0; i < run.records.size; i++) {
      const event = eventOf(run, i);
      if (matchesQuery(event, query)) out.push(event);
    }
  }
  return out;
}
