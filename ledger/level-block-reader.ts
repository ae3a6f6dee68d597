import type { Level } from 'level';
import type { BlockId } from '../crypto/index.js';
import type { SignedBlock } from './block.js';
import type { LedgerEvent } from './event.js';
import { flattenBatches } from './flatten-batches.js';
import { BlockFrame } from './level-block-frame.js';
import { LedgerError } from './errors.js';
import { matchesQuery } from './event-index.js';
import {
  key,
  kindFitsIndex,
  kindPrefix,
  prefixEnd,
  readU64,
  sizeName,
  Table,
} from './level-layout.js';
import { decodeRecord } from './record.js';
import type { EventQuery, StoredEvent } from './store.js';

type Db = Level<Uint8Array, Uint8Array>;

/** A block read back from the log, its events decoded on demand. */
interface Entry {
  readonly position: number;
  readonly frame: BlockFrame;
  readonly events: (StoredEvent | undefined)[];
}

const entryOf = (position: number, frame: BlockFrame): Entry => ({
  position,
  frame,
  events: new Array<undefined>(frame.count),
});

const LOG_END = Buffer.from([Table.log + 1]);

/**
 * Reads blocks and events of a {@link LevelStore} by log position. It keeps
 * the last blocks it read (`cacheSize`, 1 for a stream), so that consecutive
 * events of one block (the common case of every index scan) read the block
 * once, and it decodes only the events asked for. One reader per stream:
 * {@link fork} gives each its own cache.
 */
export class LevelBlockReader {
  readonly #db: Db;
  readonly #cacheSize: number;
  /** Recently read blocks by position, least recently used first. */
  readonly #cache = new Map<number, Entry>();

  constructor(db: Db, cacheSize = 1) {
    this.#db = db;
    this.#cacheSize = Math.max(1, cacheSize);
  }

  /** A reader over the same database with its own one-block cache. */
  fork(): LevelBlockReader {
    return new LevelBlockReader(this.#db);
  }

  /** The block at `position`. */
  async block(position: number): Promise<SignedBlock> {
    return (await this.#entry(position)).frame.block;
  }

  /** The event at `index` of the block at `position`, if any. */
  async event(position: number, index: number): Promise<StoredEvent | undefined> {
    const entry = await this.#entry(position);
    return index < entry.frame.count ? eventOf(entry, index) : undefined;
  }

  /** Blocks from log position `from`, in log order, through one LevelDB iterator. */
  async *scan(from: number): AsyncIterable<readonly [number, BlockFrame]> {
    const range = { gte: key(Table.log, [], [from]), lt: LOG_END };
    for await (const [k, value] of this.#db.iterator(range)) {
      yield [readU64(k, 1), new BlockFrame(value)] as const;
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

  /** The matching events, a block's worth at a time. */
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
        return this.#listed(key(Table.genotypes, [query.genotype!]), query);
      case 'K':
        return this.#listed(kindPrefix(query.kind!), query);
      case 'A':
        return this.#byAuthor(query, query.author!);
      case 'R':
        return this.#byRealm(query, query.realm!);
      default:
        return this.#all(query);
    }
  }

  async *#all(query: EventQuery): AsyncIterable<StoredEvent[]> {
    for await (const [position, frame] of this.scan(0)) {
      yield matching(entryOf(position, frame), query);
    }
  }

  /** Scans an index whose keys are `prefix ‖ position` and whose values list event indexes. */
  async *#listed(prefix: Buffer, query: EventQuery): AsyncIterable<StoredEvent[]> {
    for await (const [k, indexes] of this.#db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
      yield atIndexes(await this.#entry(readU64(k, prefix.length)), indexes, query);
    }
  }

  async *#byAuthor(query: EventQuery, author: string): AsyncIterable<StoredEvent[]> {
    const prefix = key(Table.authors, [author]);
    const realm = query.realm === undefined ? undefined : Buffer.from(query.realm, 'hex');
    for await (const [k, blockRealm] of this.#db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
      // The index value is the block's realm: other realms are skipped unread.
      if (realm !== undefined && !realm.equals(blockRealm)) continue;
      yield matching(await this.#entry(readU64(k, 33)), query);
    }
  }

  async *#byRealm(query: EventQuery, realm: string): AsyncIterable<StoredEvent[]> {
    const prefix = key(Table.realms, [realm]);
    for await (const k of this.#db.keys({ gte: prefix, lt: prefixEnd(prefix) })) {
      yield matching(await this.#entry(readU64(k, 33)), query);
    }
  }

  async #entry(position: number): Promise<Entry> {
    const cached = this.#cache.get(position);
    if (cached !== undefined) {
      if (this.#cacheSize > 1) {
        this.#cache.delete(position);
        this.#cache.set(position, cached);
      }
      return cached;
    }
    const bytes = await this.#db.get(key(Table.log, [], [position]));
    if (bytes === undefined) {
      throw new LedgerError(
        'NOT_FOUND',
        `the log has no block at position ${position} although an index names it: the store is ` +
          `damaged; export what it holds and import it into a fresh store`,
      );
    }
    const entry = entryOf(position, new BlockFrame(bytes));
    if (this.#cache.size >= this.#cacheSize) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(position, entry);
    return entry;
  }
}

type Placed = LedgerEvent & { block?: BlockId; index?: number; position?: number };

/** The event at `index` of a read block, decoded once. */
function eventOf(entry: Entry, index: number): StoredEvent {
  let event = entry.events[index];
  if (event === undefined) {
    const { frame, position } = entry;
    const decoded = decodeRecord(
      frame.record(index),
      {
        id: frame.eventId(index),
        realm: frame.realm,
        author: frame.author,
        seq: frame.first + index,
      },
      { trusted: true },
    ); // validated when it was stored; `verify` re-checks in full
    // decodeRecord returns a fresh object: give it its place rather than copy it.
    const placed = decoded as Placed;
    placed.block = frame.id;
    placed.index = index;
    placed.position = position;
    event = placed as StoredEvent;
    entry.events[index] = event;
  }
  return event;
}

/** Events of a read block at the u16 indexes listed in `indexes`, that match `query`. */
function atIndexes(entry: Entry, indexes: Uint8Array, query: EventQuery): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let j = 0; j + 1 < indexes.length; j += 2) {
    const event = eventOf(entry, (indexes[j]! << 8) | indexes[j + 1]!);
    if (matchesQuery(event, query)) out.push(event);
  }
  return out;
}

/** Events of a read block that match `query`. */
function matching(entry: Entry, query: EventQuery): StoredEvent[] {
  const out: StoredEvent[] = [];
  const n = entry.frame.count;
  for (let i = 0; i < n; i++) {
    const event = eventOf(entry, i);
    if (matchesQuery(event, query)) out.push(event);
  }
  return out;
}
