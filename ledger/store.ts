import type { BlockId, EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import type { ChainHead, InclusionProof, SignedBlock } from './block.js';
import type { BlockFacts } from './block-facts.js';
import type { LedgerEvent } from './event.js';

/** An event as the store returns it: the event, and where it sits. */
export type StoredEvent = LedgerEvent & {
  readonly block: BlockId;
  /** Index of the event in its block. */
  readonly index: number;
  /** Position of its block in this store's log (arrival order, from 0). */
  readonly position: number;
};

/** Filters for {@link EventStore.events}; all given fields must match. */
export interface EventQuery {
  readonly realm?: RealmId;
  readonly kind?: string;
  readonly author?: PublicKey;
  readonly genotype?: GenotypeId;
}

/** Options of block streaming. */
export interface BlockRange {
  /** Only blocks of this realm. */
  readonly realm?: RealmId;
  /** Only blocks at log positions ≥ this. */
  readonly fromPosition?: number;
}

/**
 * A stored block as its bytes, for readers that decode it elsewhere (a
 * projection rebuild hands blocks to worker threads): what the store keeps,
 * with nothing decoded or converted to hex.
 */
export interface StoredBlockBytes {
  readonly id: BlockId;
  readonly realm: RealmId;
  readonly author: PublicKey;
  /** Sequence number of the block's first event. */
  readonly first: number;
  readonly count: number;
  /** The block's canonical bytes, as {@link SignedBlock.bytes}. */
  readonly bytes: Uint8Array;
  /** The block's event ids, 32 raw bytes each, in block order (checked when stored). */
  readonly eventIds: Uint8Array;
}

/**
 * A block of an author's chain as its bytes, nothing decoded: what a
 * replicator puts into a document.
 */
export interface ChainBlockBytes {
  readonly id: BlockId;
  /** The block's sequence number in its author's chain. */
  readonly seq: number;
  /** The block's canonical bytes, as {@link SignedBlock.bytes}. */
  readonly bytes: Uint8Array;
}

/** What a store knows of a block without reading it: its id and the events it holds. */
export interface BlockInfo {
  readonly id: BlockId;
  /** Sequence number of the block's first event. */
  readonly first: number;
  readonly count: number;
}

/** Counts of what a store holds. */
export interface StoreCounts {
  readonly blocks: number;
  readonly events: number;
}

/**
 * The append-only store contract. Both implementations (memory, level) pass
 * one conformance suite (`ledger/store-conformance.ts`).
 *
 * The store is not the validator: `append` takes blocks that
 * {@link Ledger} has already checked, and writes them atomically (all of a
 * call or none) and in order. Reads stream; nothing loads the whole log.
 */
export interface EventStore {
  /**
   * Appends validated blocks atomically; blocks already held are skipped.
   * Resolves when durable. `facts[i]`, when given, holds the facts of
   * `blocks[i]`'s events as the validator found them, so the store need not
   * decode them again for its indexes.
   */
  append(
    blocks: readonly SignedBlock[],
    facts?: readonly (BlockFacts | undefined)[],
  ): Promise<void>;
  hasBlock(id: BlockId): Promise<boolean>;
  getBlock(id: BlockId): Promise<SignedBlock | undefined>;
  /** The block at `seq` in `author`'s chain of `realm`. */
  getBlockAt(realm: RealmId, author: PublicKey, seq: number): Promise<SignedBlock | undefined>;
  hasEvent(id: EventId): Promise<boolean>;
  /** Which of `ids` the store holds, in one read (the validator checks dependencies with it). */
  hasEvents(ids: readonly EventId[]): Promise<boolean[]>;
  getEvent(id: EventId): Promise<StoredEvent | undefined>;
  /**
   * {@link getEvent} read now, synchronously: offered by stores that read an
   * event by id without a round trip to another thread, for walks that read
   * one event after another (a lineage). Throws as `getEvent` rejects.
   */
  getEventNow?(id: EventId): StoredEvent | undefined;
  /**
   * The inclusion proof of event `index` of block `block` (as
   * `inclusionProof(block, index)` makes it), without reading the whole
   * block: offered by stores that keep a block's Merkle subtrees (the level
   * store). Undefined when the store holds no such block or event.
   */
  inclusionProof?(block: BlockId, index: number): Promise<InclusionProof | undefined>;
  /** The id and event range of block `seq` of an author's chain, without reading the block. */
  blockInfoAt?(realm: RealmId, author: PublicKey, seq: number): Promise<BlockInfo | undefined>;
  /** Where an author's chain in a realm stands, if it has any block here. */
  head(realm: RealmId, author: PublicKey): Promise<ChainHead | undefined>;
  /** Every chain head (of one realm, or all). */
  heads(realm?: RealmId): AsyncIterable<ChainHead>;
  /** Blocks in log order. */
  blocks(range?: BlockRange): AsyncIterable<SignedBlock>;
  /**
   * Blocks in log order as bytes, undecoded: offered by stores that keep
   * blocks as bytes (`storedBlockBytes` converts {@link blocks} for the others).
   */
  blockBytes?(range?: BlockRange): AsyncIterable<StoredBlockBytes>;
  /**
   * The blocks from log position `fromPosition` to the end as bytes, read
   * from memory, when the store still keeps every one of them there (it
   * keeps the blocks it appended last); undefined otherwise. Offered by the
   * level store: a reader that follows the log's end (a node's live
   * projection) reads nothing back from disk. {@link blockBytes} reads what
   * is stored.
   */
  recentBlockBytes?(fromPosition: number): readonly StoredBlockBytes[] | undefined;
  /** An author's blocks in a realm from `fromSeq`, in chain order. */
  chain(realm: RealmId, author: PublicKey, fromSeq?: number): AsyncIterable<SignedBlock>;
  /**
   * {@link chain} as bytes, undecoded: offered by stores that keep blocks as
   * bytes (`storedChainBytes` converts {@link chain} for the others).
   */
  chainBytes?(realm: RealmId, author: PublicKey, fromSeq?: number): AsyncIterable<ChainBlockBytes>;
  /** Events in log order (block by block, in block order), filtered through the indexes. */
  events(query?: EventQuery): AsyncIterable<StoredEvent>;
  counts(): Promise<StoreCounts>;
  /** Small named values kept beside the log (caches, node state); never part of the ledger. */
  getMeta(key: string): Promise<Uint8Array | undefined>;
  putMeta(key: string, value: Uint8Array): Promise<void>;
  deleteMeta(key: string): Promise<void>;
  close(): Promise<void>;
}

/** The result of `run` done now (synchronously), as a promise: a throw becomes a rejection. */
export function settledNow<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
