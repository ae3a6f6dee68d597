import { Level } from 'level';
import { bufferView, isIdHex } from '../crypto/index.js';
import type { BlockId, EventId, PublicKey, RealmId } from '../crypto/index.js';
import type { ChainHead, InclusionProof, SignedBlock } from './block.js';
import { LedgerError } from './errors.js';
import { factsOfBlock } from './block-facts.js';
import type { BlockFacts } from './block-facts.js';
import { blockOf, bytesOf, LevelBlockReader } from './level-block-reader.js';
import { putBlock } from './level-index-writer.js';
import {
  decodeHead,
  encodeHead,
  key,
  LAYOUT_VERSION,
  META_CHUNK,
  metaKey,
  namedKey,
  prefixEnd,
  readU64,
  Table,
  writeU64,
} from './level-layout.js';
import { blockBytesOf } from './block-bytes.js';
import { RecentBlocks } from './recent-blocks.js';
import { settledNow } from './store.js';
import type {
  BlockInfo,
  BlockRange,
  ChainBlockBytes,
  EventQuery,
  EventStore,
  StoreCounts,
  StoredBlockBytes,
  StoredEvent,
} from './store.js';

/** Options of {@link LevelStore.open}. */
export interface LevelStoreOptions {
  /**
   * fsync each append before acknowledging it (default true): an acknowledged
   * block survives SIGKILL and power loss. With false it survives SIGKILL
   * (the write-ahead log is in the OS cache) but not a power loss.
   */
  readonly sync?: boolean;
}

type Db = Level<Uint8Array, Uint8Array>;

/** An `append` call waiting for its write. */
interface PendingAppend {
  readonly blocks: readonly SignedBlock[];
  readonly facts: readonly (BlockFacts | undefined)[] | undefined;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

const NO_EVENTS: AsyncIterable<StoredEvent> = {
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
};
const STATE_KEY = Buffer.from([Table.state]);
const VERSION_KEY = Buffer.from([Table.version]);

/** The keys of `author`'s chain in `realm` (table `C`) from block `fromSeq` on. */
function chainRange(realm: RealmId, author: PublicKey, fromSeq: number) {
  return {
    gte: key(Table.chains, [realm, author], [Math.max(0, Math.ceil(fromSeq))]),
    lt: prefixEnd(key(Table.chains, [realm, author])),
  };
}

/** Turns a failed open into `STORE_UNAVAILABLE` with a message that says what to do. */
function unavailable(dir: string, err: unknown): LedgerError {
  const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED') {
    return new LedgerError(
      'STORE_UNAVAILABLE',
      `the store at ${dir} is in use by another process (its LevelDB lock is held); ` +
        `stop the other evoledger process that has it open, or use another store directory`,
      { cause: err },
    );
  }
  const detail = e.cause?.message ?? e.message ?? String(err);
  return new LedgerError(
    'STORE_UNAVAILABLE',
    `could not open the store at ${dir}: ${detail}. Check that the path is a directory you can ` +
      `write; if the store is damaged, restore it from an exported log ("evoledger import")`,
    { cause: err },
  );
}

/**
 * The durable {@link EventStore}: LevelDB (classic-level through `level`),
 * laid out as in `level-layout.ts`. Each append is one atomic write batch,
 * fsynced before it resolves unless `sync: false`. Reads stream through
 * LevelDB iterators; the log is never loaded whole. One process at a time:
 * LevelDB locks the directory.
 */
export class LevelStore implements EventStore {
  /** The store's directory. */
  readonly dir: string;
  readonly #db: Db;
  readonly #sync: boolean;
  #nextPosition: number;
  #eventCount: number;
  /** Event counts per index key (`K:kind`, `A:author`, `R:realm`): picks the smallest index. */
  readonly #sizes: Map<string, number>;
  /** Chain heads already read or written (the store is single-process, so this stays true). */
  readonly #heads = new Map<string, ChainHead>();
  /** Appends waiting for the write in flight; positions and heads depend on the previous write. */
  readonly #queue: PendingAppend[] = [];
  #draining: Promise<void> | undefined;
  readonly #reader: LevelBlockReader;
  /** The blocks appended last, as bytes (see {@link recentBlockBytes}). */
  readonly #recent: RecentBlocks;
  /** Meta writes, one after the other: each replaces all chunks of its name. */
  #metaWrites: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    dir: string,
    db: Db,
    sync: boolean,
    state: { nextPosition: number; eventCount: number; sizes: Map<string, number> },
  ) {
    this.dir = dir;
    this.#db = db;
    this.#sync = sync;
    this.#nextPosition = state.nextPosition;
    this.#eventCount = state.eventCount;
    this.#sizes = state.sizes;
    this.#reader = new LevelBlockReader(db);
    this.#recent = new RecentBlocks(state.nextPosition);
  }

  /**
   * Opens (creating if needed) the store in `dir`. Throws `STORE_UNAVAILABLE`
   * when another process holds it, when it is not an evoledger store, or when
   * it was written by an incompatible version.
   */
  static async open(dir: string, options: LevelStoreOptions = {}): Promise<LevelStore> {
    const db: Db = new Level<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    try {
      await db.open();
    } catch (err) {
      throw unavailable(dir, err);
    }
    try {
      const state = await LevelStore.#readState(dir, db);
      return new LevelStore(dir, db, options.sync ?? true, state);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  static async #readState(dir: string, db: Db) {
    const version = await db.get(VERSION_KEY);
    if (version === undefined) {
      for await (const _ of db.keys({ limit: 1 })) {
        throw new LedgerError(
          'STORE_UNAVAILABLE',
          `${dir} holds a LevelDB database that is not an evoledger store; choose another directory`,
        );
      }
      const state = Buffer.alloc(16);
      await db.batch(
        [
          { type: 'put', key: VERSION_KEY, value: Uint8Array.of(LAYOUT_VERSION) },
          { type: 'put', key: STATE_KEY, value: state },
        ],
        { sync: true },
      );
      return { nextPosition: 0, eventCount: 0, sizes: new Map<string, number>() };
    }
    if (version[0] !== LAYOUT_VERSION) {
      throw new LedgerError(
        'STORE_UNAVAILABLE',
        `the store at ${dir} has layout version ${version[0]}; this evoledger reads version ` +
          `${LAYOUT_VERSION}: use the evoledger version that wrote it, or export and re-import`,
      );
    }
    const state = await db.get(STATE_KEY);
    if (state === undefined || state.byteLength !== 16) {
      throw new LedgerError(
        'STORE_UNAVAILABLE',
        `the store at ${dir} is damaged (no state record)`,
      );
    }
    const sizes = new Map<string, number>();
    const prefix = Buffer.from([Table.sizes]);
    for await (const [k, v] of db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
      sizes.set(Buffer.from(k.subarray(1)).toString('utf8'), readU64(v, 0));
    }
    return { nextPosition: readU64(state, 0), eventCount: readU64(state, 8), sizes };
  }

  /**
   * Appends blocks in one atomic, durable write; blocks already held are
   * skipped. `facts[i]`, when given, holds the facts of `blocks[i]`'s events
   * as the validator found them, which spares decoding them again for the
   * indexes; otherwise they are decoded here, and a block whose events do
   * not decode rejects the whole call with `SCHEMA_VIOLATION`.
   *
   * Calls made while a write is in flight are committed together in the
   * next write (group commit: one fsync for all of them); each call still
   * lands whole or not at all, and resolves only once it is durable.
   */
  append(
    blocks: readonly SignedBlock[],
    facts?: readonly (BlockFacts | undefined)[],
  ): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ blocks, facts, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#commit(this.#queue.splice(0));
    } finally {
      this.#draining = undefined;
    }
  }

  /** Writes the calls of `group` that prepare cleanly in one batch; settles every call. */
  async #commit(group: readonly PendingAppend[]): Promise<void> {
    let held: (Uint8Array | undefined)[];
    try {
      const ids = group.flatMap((call) => call.blocks.map((b) => key(Table.blockIds, [b.id])));
      held = ids.length === 0 ? [] : await this.#db.getMany(ids);
    } catch (err) {
      for (const call of group) call.reject(err);
      return;
    }
    const fresh: { block: SignedBlock; facts: BlockFacts }[] = [];
    const accepted: PendingAppend[] = [];
    const seen = new Set<BlockId>();
    let at = 0;
    for (const call of group) {
      const heldHere = held.slice(at, (at += call.blocks.length));
      try {
        // Decoding may throw: it happens before anything is written, and
        // fails this call alone.
        const mine: typeof fresh = [];
        const mineIds = new Set<BlockId>();
        call.blocks.forEach((block, i) => {
          if (heldHere[i] !== undefined || seen.has(block.id) || mineIds.has(block.id)) return;
          mineIds.add(block.id);
          mine.push({ block, facts: factsOfBlock(block, call.facts?.[i]) });
        });
        for (const id of mineIds) seen.add(id);
        fresh.push(...mine);
        accepted.push(call);
      } catch (err) {
        call.reject(err);
      }
    }
    try {
      if (fresh.length > 0) await this.#write(fresh);
      for (const call of accepted) call.resolve();
    } catch (err) {
      for (const call of accepted) call.reject(err);
    }
  }

  /** One atomic, durable batch holding `fresh` blocks and their index entries. */
  async #write(fresh: readonly { block: SignedBlock; facts: BlockFacts }[]) {
    // No closed check here: calls accepted before close() are written, and close() waits.
    const heads = new Map<string, ChainHead | null>();
    for (const { block } of fresh) {
      const { realm, author } = block.header;
      const ck = realm + author;
      if (!heads.has(ck)) heads.set(ck, (await this.#readHead(realm, author)) ?? null);
    }

    const batch = this.#db.batch();
    const sizes = new Map<string, number>();
    const grow = (name: string, n: number) => sizes.set(name, (sizes.get(name) ?? 0) + n);
    let position = this.#nextPosition;
    let eventCount = this.#eventCount;
    for (const { block, facts } of fresh) {
      try {
        putBlock(batch, block, facts, position, grow);
      } catch (err) {
        await batch.close();
        throw err;
      }
      const { realm, author, seq, first, count } = block.header;
      const ck = realm + author;
      const head = heads.get(ck);
      if (head === null || head === undefined || seq > head.seq) {
        heads.set(ck, { realm, author, seq, id: block.id, nextEvent: first + count });
      }
      position += 1;
      eventCount += facts.count;
    }
    for (const [ck, head] of heads) {
      if (head !== null && head !== this.#heads.get(ck)) {
        batch.put(key(Table.heads, [head.realm, head.author]), encodeHead(head));
      }
    }
    const totals = new Map<string, number>();
    for (const [name, n] of sizes) {
      const total = (this.#sizes.get(name) ?? 0) + n;
      totals.set(name, total);
      const value = Buffer.allocUnsafe(8);
      writeU64(value, total, 0);
      batch.put(namedKey(Table.sizes, name), value);
    }
    const state = Buffer.allocUnsafe(16);
    writeU64(state, position, 0);
    writeU64(state, eventCount, 8);
    batch.put(STATE_KEY, state);
    await batch.write({ sync: this.#sync });

    // Durable: now the in-memory view may move on.
    this.#recent.add(
      this.#nextPosition,
      fresh.map((f) => f.block),
    );
    this.#nextPosition = position;
    this.#eventCount = eventCount;
    for (const [name, total] of totals) this.#sizes.set(name, total);
    for (const [ck, head] of heads) if (head !== null) this.#heads.set(ck, head);
  }

  hasBlock(id: BlockId): Promise<boolean> {
    // A small value read synchronously (see LevelBlockReader): the validator
    // asks once a block, and a round trip to LevelDB's thread cost more.
    return this.#now(
      () => isIdHex(id) && this.#db.getSync(key(Table.blockIds, [id])) !== undefined,
    );
  }

  getBlock(id: BlockId): Promise<SignedBlock | undefined> {
    return this.#now(() => {
      if (!isIdHex(id)) return undefined;
      // Small values read synchronously: see LevelBlockReader.
      const pos = this.#db.getSync(key(Table.blockIds, [id]));
      return pos === undefined ? undefined : this.#reader.blockNow(readU64(pos, 0));
    });
  }

  getBlockAt(realm: RealmId, author: PublicKey, seq: number): Promise<SignedBlock | undefined> {
    return this.#now(() => {
      if (!isIdHex(realm) || !isIdHex(author) || !Number.isSafeInteger(seq) || seq < 0) {
        return undefined;
      }
      const pos = this.#db.getSync(key(Table.chains, [realm, author], [seq]));
      return pos === undefined ? undefined : this.#reader.blockNow(readU64(pos, 0));
    });
  }

  inclusionProof(block: BlockId, index: number): Promise<InclusionProof | undefined> {
    return this.#now(() => {
      if (!isIdHex(block)) return undefined;
      const pos = this.#db.getSync(key(Table.blockIds, [block]));
      return pos === undefined ? undefined : this.#reader.proof(readU64(pos, 0), index);
    });
  }

  blockInfoAt(realm: RealmId, author: PublicKey, seq: number): Promise<BlockInfo | undefined> {
    return this.#now(() => {
      if (!isIdHex(realm) || !isIdHex(author) || !Number.isSafeInteger(seq) || seq < 0) {
        return undefined;
      }
      const pos = this.#db.getSync(key(Table.chains, [realm, author], [seq]));
      if (pos === undefined) return undefined;
      const { id, first, count } = this.#reader.info(readU64(pos, 0));
      return { id, first, count };
    });
  }

  async hasEvent(id: EventId): Promise<boolean> {
    this.#open();
    if (!isIdHex(id)) return false;
    return (await this.#db.get(key(Table.events, [id]))) !== undefined;
  }

  /**
   * Which of `ids` the store holds, in one LevelDB read (not in the
   * {@link EventStore} contract yet): what a validator checking every
   * dependency of a block wants, instead of one `hasEvent` round-trip each.
   */
  async hasEvents(ids: readonly EventId[]): Promise<boolean[]> {
    this.#open();
    const valid = ids.map((id) => isIdHex(id));
    const keys = ids.filter((_, i) => valid[i]).map((id) => key(Table.events, [id]));
    const found = keys.length === 0 ? [] : await this.#db.getMany(keys);
    let j = 0;
    return valid.map((ok) => ok && found[j++] !== undefined);
  }

  getEvent(id: EventId): Promise<StoredEvent | undefined> {
    return this.#now(() => this.getEventNow(id));
  }

  /** Two small synchronous reads: the event index, then the one part of the block that holds it. */
  getEventNow(id: EventId): StoredEvent | undefined {
    this.#open();
    if (!isIdHex(id)) return undefined;
    const at = this.#db.getSync(key(Table.events, [id]));
    return at === undefined
      ? undefined
      : this.#reader.event(readU64(at, 0), (at[8]! << 8) | at[9]!);
  }

  async head(realm: RealmId, author: PublicKey): Promise<ChainHead | undefined> {
    this.#open();
    if (!isIdHex(realm) || !isIdHex(author)) return undefined;
    return this.#readHead(realm, author);
  }

  async #readHead(realm: RealmId, author: PublicKey): Promise<ChainHead | undefined> {
    const ck = realm + author;
    const cached = this.#heads.get(ck);
    if (cached !== undefined) return cached;
    const k = key(Table.heads, [realm, author]);
    const value = await this.#db.get(k);
    if (value === undefined) return undefined;
    const head = decodeHead(k, value);
    // An append that landed while this read was in flight has set a newer head: keep it.
    if (!this.#heads.has(ck)) this.#heads.set(ck, head);
    return head;
  }

  async *heads(realm?: RealmId): AsyncIterable<ChainHead> {
    this.#open();
    if (realm !== undefined && !isIdHex(realm)) return;
    const prefix = realm === undefined ? Buffer.from([Table.heads]) : key(Table.heads, [realm]);
    for await (const [k, v] of this.#db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
      yield decodeHead(k, v);
    }
  }

  async *blocks(range: BlockRange = {}): AsyncIterable<SignedBlock> {
    this.#open();
    const from = Math.max(0, Math.ceil(range.fromPosition ?? 0));
    if (range.realm === undefined) {
      for await (const stored of this.#reader.scan(from)) yield blockOf(stored);
      return;
    }
    if (!isIdHex(range.realm)) return;
    const prefix = key(Table.realms, [range.realm]);
    const keys = this.#db.keys({
      gte: key(Table.realms, [range.realm], [from]),
      lt: prefixEnd(prefix),
    });
    for await (const k of keys) yield this.#reader.blockNow(readU64(k, 33));
  }

  async *blockBytes(range: BlockRange = {}): AsyncIterable<StoredBlockBytes> {
    this.#open();
    if (range.realm !== undefined) {
      // The realm index names positions: read through decoded blocks (rarely used this way).
      for await (const block of this.blocks(range)) yield blockBytesOf(block);
      return;
    }
    const from = Math.max(0, Math.ceil(range.fromPosition ?? 0));
    for await (const stored of this.#reader.scan(from)) yield bytesOf(stored);
  }

  recentBlockBytes(fromPosition: number): readonly StoredBlockBytes[] | undefined {
    this.#open();
    return this.#recent.from(Math.max(0, Math.ceil(fromPosition)));
  }

  async *chain(realm: RealmId, author: PublicKey, fromSeq = 0): AsyncIterable<SignedBlock> {
    this.#open();
    if (!isIdHex(realm) || !isIdHex(author)) return;
    const positions = this.#db.values(chainRange(realm, author, fromSeq));
    for await (const pos of positions) yield this.#reader.blockNow(readU64(pos, 0));
  }

  async *chainBytes(
    realm: RealmId,
    author: PublicKey,
    fromSeq = 0,
  ): AsyncIterable<ChainBlockBytes> {
    this.#open();
    if (!isIdHex(realm) || !isIdHex(author)) return;
    const entries = this.#db.iterator(chainRange(realm, author, fromSeq));
    // The key ends with the seq (after the table byte, realm and author).
    for await (const [k, pos] of entries) {
      yield { seq: readU64(k, 65), ...this.#reader.bytesNow(readU64(pos, 0)) };
    }
  }

  events(query: EventQuery = {}): AsyncIterable<StoredEvent> {
    // Not an async generator: one more generator level per event costs more than the read.
    return {
      [Symbol.asyncIterator]: () => {
        this.#open();
        // A malformed id matches nothing (and must not become a key).
        const { realm, author, genotype } = query;
        const bad = [realm, author, genotype].some((id) => id !== undefined && !isIdHex(id));
        const events = bad ? NO_EVENTS : this.#reader.events(query, this.#sizes, this.#eventCount);
        return events[Symbol.asyncIterator]();
      },
    };
  }

  counts(): Promise<StoreCounts> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return Promise.resolve({ blocks: this.#nextPosition, events: this.#eventCount });
  }

  /** A meta value is stored in chunks of {@link META_CHUNK} bytes (see `level-layout.ts`). */
  async getMeta(name: string): Promise<Uint8Array | undefined> {
    this.#open();
    const chunks = await this.#metaChunks(name, true);
    if (chunks.length === 0) return undefined;
    const out = new Uint8Array(chunks.reduce((n, [, v]) => n + v.byteLength, 0));
    let o = 0;
    chunks.forEach(([k, v], i) => {
      if (k.readUInt32BE(k.length - 4) !== i) {
        throw new LedgerError(
          'NOT_FOUND',
          `the meta value ${name} lacks its chunk ${i}: the store is damaged; delete the value ` +
            `(it is a cache that can be rebuilt) or restore the store from an exported log`,
        );
      }
      out.set(v, o);
      o += v.byteLength;
    });
    return out;
  }

  putMeta(name: string, value: Uint8Array): Promise<void> {
    this.#open();
    return this.#writeMeta(name, value);
  }

  deleteMeta(name: string): Promise<void> {
    this.#open();
    return this.#writeMeta(name, undefined);
  }

  /** Replaces (or, with undefined, deletes) every chunk of `name` in one durable batch. */
  #writeMeta(name: string, value: Uint8Array | undefined): Promise<void> {
    const write = async () => {
      const old = await this.#metaChunks(name, false);
      const n = value === undefined ? 0 : Math.max(1, Math.ceil(value.byteLength / META_CHUNK));
      const batch = this.#db.batch();
      for (let i = 0; i < n; i++) {
        batch.put(metaKey(name, i), value!.subarray(i * META_CHUNK, (i + 1) * META_CHUNK));
      }
      for (const [k] of old) if (k.readUInt32BE(k.length - 4) >= n) batch.del(k);
      await batch.write({ sync: this.#sync });
    };
    const done = this.#metaWrites.then(write);
    this.#metaWrites = done.catch(() => undefined);
    return done;
  }

  /** The stored chunks of meta value `name` in order, as [key, value] (values only when asked). */
  async #metaChunks(name: string, values: boolean): Promise<[Buffer, Uint8Array][]> {
    if (Buffer.byteLength(name, 'utf8') > 0xffff) {
      throw new LedgerError('OVERSIZED', `a meta name is at most 65,535 bytes of UTF-8`);
    }
    const first = metaKey(name, 0);
    const range = {
      gte: first,
      lt: prefixEnd(first.subarray(0, first.length - 4)),
      values,
      highWaterMarkBytes: 16 * META_CHUNK,
    };
    const entries = await this.#db.iterator(range).all();
    return entries.map(([k, v]) => [bufferView(k), v ?? new Uint8Array(0)]);
  }

  /**
   * Asks LevelDB to compact the whole keyspace now, and resolves when it is
   * done: a store at rest, as LevelDB's background compaction leaves it in
   * time after a bulk write (until then every read pays for overlapping
   * files and the compaction's own work). Nothing held changes.
   */
  async compact(): Promise<void> {
    this.#open();
    await this.#draining;
    // `level` runs classic-level on Node, which has compactRange; its types do not say so.
    const db = this.#db as unknown as {
      compactRange(start: Uint8Array, end: Uint8Array): Promise<void>;
    };
    await db.compactRange(Uint8Array.of(0), Uint8Array.of(0xff, 0xff));
  }

  /** Waits for pending appends, then closes the database and releases its lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#draining;
    await this.#metaWrites;
    await this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw this.#closedError();
  }

  /** The result of a read done now (synchronously), as a promise; a throw becomes a rejection. */
  #now<T>(read: () => T): Promise<T> {
    return settledNow(() => {
      this.#open();
      return read();
    });
  }

  #closedError(): LedgerError {
    return new LedgerError('STORE_UNAVAILABLE', `the store at ${this.dir} is closed`);
  }
}
