import type { BlockId, EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import { blockEvents } from './block.js';
import type { ChainHead, SignedBlock } from './block.js';
import { factsOfBlock } from './block-facts.js';
import type { BlockFacts } from './block-facts.js';
import { LedgerError } from './errors.js';
import type { LedgerEvent } from './event.js';
import { genotypesOf, matchesQuery } from './event-index.js';
import { settledNow } from './store.js';
import type { BlockRange, EventQuery, EventStore, StoreCounts, StoredEvent } from './store.js';

// An event's place packed in one number (no object per index entry):
// position * 2^16 + index. Blocks hold at most 10 000 events (Limits).
const INDEX_SPAN = 0x10000;
const refOf = (position: number, index: number) => position * INDEX_SPAN + index;

const EMPTY: readonly number[] = [];

const chainKey = (realm: RealmId, author: PublicKey) => realm + author;

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/**
 * An {@link EventStore} held in memory: the log as an array of blocks, events
 * decoded once at append time, and indexes as arrays of packed positions.
 * Reads hand out the stored objects (all readonly), never copies. For tests,
 * simulations and short-lived nodes; nothing survives the process.
 */
export class MemoryStore implements EventStore {
  readonly #log: SignedBlock[] = [];
  readonly #events: StoredEvent[][] = [];
  readonly #blockIds = new Map<BlockId, number>();
  readonly #eventRefs = new Map<EventId, number>();
  /** Each chain's block seqs, sorted, and the log positions of those blocks. */
  readonly #chains = new Map<string, { seqs: number[]; positions: number[] }>();
  readonly #heads = new Map<string, ChainHead>();
  readonly #byRealm = new Map<RealmId, number[]>();
  readonly #byAuthor = new Map<PublicKey, number[]>();
  readonly #byKind = new Map<string, number[]>();
  readonly #byGenotype = new Map<GenotypeId, number[]>();
  readonly #realmEvents = new Map<RealmId, number>();
  readonly #authorEvents = new Map<PublicKey, number>();
  readonly #meta = new Map<string, Uint8Array>();
  #eventCount = 0;
  #closed = false;

  /** An empty store. */
  static open(): Promise<MemoryStore> {
    return Promise.resolve(new MemoryStore());
  }

  /**
   * Appends blocks all-or-none. `facts[i]`, when given, holds the facts of
   * `blocks[i]`'s events as the validator found them: the events, which this
   * store keeps whole, are then read as stored records are (in place, not
   * validated again); otherwise they are decoded and validated here, and a
   * block whose events do not decode rejects the whole call with
   * `SCHEMA_VIOLATION`.
   */
  append(
    blocks: readonly SignedBlock[],
    facts?: readonly (BlockFacts | undefined)[],
  ): Promise<void> {
    return this.#run(() => this.#appendNow(blocks, facts));
  }

  #appendNow(blocks: readonly SignedBlock[], facts?: readonly (BlockFacts | undefined)[]): void {
    // Decode everything first: nothing is changed unless every block decodes.
    const fresh: { block: SignedBlock; events: readonly LedgerEvent[] }[] = [];
    const seen = new Set<BlockId>();
    blocks.forEach((block, i) => {
      if (this.#blockIds.has(block.id) || seen.has(block.id)) return;
      seen.add(block.id);
      const given = facts?.[i];
      if (given === undefined) fresh.push({ block, events: blockEvents(block) });
      else {
        factsOfBlock(block, given);
        fresh.push({ block, events: blockEvents(block, { trusted: true }) });
      }
    });
    for (const { block, events } of fresh) this.#insert(block, events);
  }

  #insert(block: SignedBlock, events: readonly LedgerEvent[]): void {
    const position = this.#log.length;
    const { realm, author, seq } = block.header;
    const stored = events.map((e, index): StoredEvent => ({
      ...e,
      block: block.id,
      index,
      position,
    }));
    this.#log.push(block);
    this.#events.push(stored);
    this.#blockIds.set(block.id, position);
    const ck = chainKey(realm, author);
    let chain = this.#chains.get(ck);
    if (chain === undefined) this.#chains.set(ck, (chain = { seqs: [], positions: [] }));
    // Seqs arrive in order past the validator; anything else is kept sorted.
    // The same seq twice (a fork) resolves to the later block, as in LevelStore.
    const at = lowerBound(chain.seqs, seq);
    if (chain.seqs[at] === seq) chain.positions[at] = position;
    else {
      chain.seqs.splice(at, 0, seq);
      chain.positions.splice(at, 0, position);
    }
    const head = this.#heads.get(ck);
    if (head === undefined || seq > head.seq) {
      this.#heads.set(ck, {
        realm,
        author,
        seq,
        id: block.id,
        nextEvent: block.header.first + block.header.count,
      });
    }
    push(this.#byRealm, realm, position);
    push(this.#byAuthor, author, position);
    this.#realmEvents.set(realm, (this.#realmEvents.get(realm) ?? 0) + stored.length);
    this.#authorEvents.set(author, (this.#authorEvents.get(author) ?? 0) + stored.length);
    for (const e of stored) {
      const ref = refOf(position, e.index);
      // An id held by two blocks (a fork, only possible past the validator): the later wins, as in LevelStore.
      this.#eventRefs.set(e.id, ref);
      push(this.#byKind, e.kind, ref);
      for (const g of genotypesOf(e)) push(this.#byGenotype, g, ref);
    }
    this.#eventCount += stored.length;
  }

  hasBlock(id: BlockId): Promise<boolean> {
    return this.#run(() => this.#blockIds.has(id));
  }

  getBlock(id: BlockId): Promise<SignedBlock | undefined> {
    return this.#run(() => this.#blockAt(this.#blockIds.get(id)));
  }

  getBlockAt(realm: RealmId, author: PublicKey, seq: number): Promise<SignedBlock | undefined> {
    return this.#run(() => {
      const chain = this.#chains.get(chainKey(realm, author));
      if (chain === undefined) return undefined;
      const at = lowerBound(chain.seqs, seq);
      return chain.seqs[at] === seq ? this.#blockAt(chain.positions[at]) : undefined;
    });
  }

  hasEvent(id: EventId): Promise<boolean> {
    return this.#run(() => this.#eventRefs.has(id));
  }

  /** Which of `ids` the store holds (as {@link LevelStore.hasEvents}; not in the contract yet). */
  hasEvents(ids: readonly EventId[]): Promise<boolean[]> {
    return this.#run(() => ids.map((id) => this.#eventRefs.has(id)));
  }

  getEvent(id: EventId): Promise<StoredEvent | undefined> {
    return this.#run(() => this.getEventNow(id));
  }

  getEventNow(id: EventId): StoredEvent | undefined {
    this.#open();
    const ref = this.#eventRefs.get(id);
    return ref === undefined ? undefined : this.#eventAt(ref);
  }

  head(realm: RealmId, author: PublicKey): Promise<ChainHead | undefined> {
    return this.#run(() => this.#heads.get(chainKey(realm, author)));
  }

  heads(realm?: RealmId): AsyncIterable<ChainHead> {
    return this.#stream(() => this.#headsNow(realm));
  }

  blocks(range?: BlockRange): AsyncIterable<SignedBlock> {
    return this.#stream(() => this.#blocksNow(range));
  }

  chain(realm: RealmId, author: PublicKey, fromSeq?: number): AsyncIterable<SignedBlock> {
    return this.#stream(() => this.#chainNow(realm, author, fromSeq));
  }

  events(query?: EventQuery): AsyncIterable<StoredEvent> {
    return this.#stream(() => this.#eventsNow(query));
  }

  *#headsNow(realm?: RealmId): Iterable<ChainHead> {
    // In (realm, author) order, as the level store's keys are: the same on every store.
    const keys = [...this.#heads.keys()].sort();
    for (const k of keys) {
      const head = this.#heads.get(k)!;
      if (realm === undefined || head.realm === realm) yield head;
    }
  }

  *#blocksNow(range: BlockRange = {}): Iterable<SignedBlock> {
    const from = range.fromPosition ?? 0;
    const positions = range.realm === undefined ? undefined : this.#byRealm.get(range.realm);
    if (range.realm !== undefined) {
      if (positions === undefined) return;
      const end = positions.length;
      for (let i = lowerBound(positions, from); i < end; i++) yield this.#log[positions[i]!]!;
      return;
    }
    const end = this.#log.length;
    for (let p = Math.max(0, from); p < end; p++) yield this.#log[p]!;
  }

  *#chainNow(realm: RealmId, author: PublicKey, fromSeq = 0): Iterable<SignedBlock> {
    const chain = this.#chains.get(chainKey(realm, author));
    if (chain === undefined) return;
    const end = chain.positions.length;
    for (let at = lowerBound(chain.seqs, fromSeq); at < end; at++) {
      yield this.#log[chain.positions[at]!]!;
    }
  }

  *#eventsNow(query: EventQuery = {}): Iterable<StoredEvent> {
    // Drive the scan from the most selective index given, then filter.
    let refs: readonly number[] | undefined;
    let positions: readonly number[] | undefined;
    let cost = Infinity;
    const byEvent = (list: readonly number[] | undefined) => {
      if ((list?.length ?? 0) < cost) {
        refs = list ?? EMPTY;
        positions = undefined;
        cost = refs.length;
      }
    };
    const byBlock = (list: readonly number[] | undefined, events: number | undefined) => {
      if ((events ?? 0) < cost) {
        positions = list ?? EMPTY;
        refs = undefined;
        cost = events ?? 0;
      }
    };
    if (query.genotype !== undefined) byEvent(this.#byGenotype.get(query.genotype));
    if (query.kind !== undefined) byEvent(this.#byKind.get(query.kind));
    if (query.author !== undefined) {
      byBlock(this.#byAuthor.get(query.author), this.#authorEvents.get(query.author));
    }
    if (query.realm !== undefined) {
      byBlock(this.#byRealm.get(query.realm), this.#realmEvents.get(query.realm));
    }
    if (refs !== undefined) {
      const end = refs.length;
      for (let i = 0; i < end; i++) {
        const event = this.#eventAt(refs[i]!);
        if (matchesQuery(event, query)) yield event;
      }
      return;
    }
    const end = positions === undefined ? this.#log.length : positions.length;
    for (let i = 0; i < end; i++) {
      const events = this.#events[positions === undefined ? i : positions[i]!]!;
      for (const event of events) if (matchesQuery(event, query)) yield event;
    }
  }

  counts(): Promise<StoreCounts> {
    return this.#run(() => ({ blocks: this.#log.length, events: this.#eventCount }));
  }

  // Meta values are copied in and out: callers own their buffers, as with the level store.
  getMeta(key: string): Promise<Uint8Array | undefined> {
    return this.#run(() => {
      const value = this.#meta.get(key);
      return value === undefined ? undefined : new Uint8Array(value);
    });
  }

  putMeta(key: string, value: Uint8Array): Promise<void> {
    return this.#run(() => void this.#meta.set(key, new Uint8Array(value)));
  }

  deleteMeta(key: string): Promise<void> {
    return this.#run(() => void this.#meta.delete(key));
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #blockAt(position: number | undefined): SignedBlock | undefined {
    return position === undefined ? undefined : this.#log[position];
  }

  #eventAt(ref: number): StoredEvent {
    return this.#events[Math.floor(ref / INDEX_SPAN)]![ref % INDEX_SPAN]!;
  }

  #open(): void {
    if (this.#closed) throw new LedgerError('STORE_UNAVAILABLE', 'the memory store is closed');
  }

  /**
   * A synchronous generator as an async iterable, started on first `next()`
   * (so a closed store rejects there, as the level store does).
   */
  #stream<T>(make: () => Iterable<T>): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        let it: Iterator<T> | undefined;
        return {
          next: () =>
            this.#run(() => {
              it ??= make()[Symbol.iterator]();
              return it.next();
            }),
          return: (value?: T) => {
            it?.return?.();
            return Promise.resolve({ done: true as const, value: value as T });
          },
        };
      },
    };
  }

  /** Runs a synchronous operation as a promise, rejecting (never throwing) on failure. */
  #run<T>(operation: () => T): Promise<T> {
    return settledNow(() => {
      this.#open();
      return operation();
    });
  }
}

/** First index of sorted `list` whose value is ≥ `value`. */
function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
