import type { BlockId, RealmId } from '../crypto/index.js';
import type { DocKey } from './doc-key.js';

/** What a cached document was built from, and what it must hold. */
export interface DocSource {
  /** Seq of the last block of the bucket the store held. */
  readonly lastSeq: number;
  /** Id of that block: with the author chain, it names every block before it. */
  readonly lastId: BlockId;
  /** Heads of the document built from those blocks (every change is a head: changes have no deps). */
  readonly heads: readonly string[];
}

/**
 * One cached document: its source, and its first sync message to a peer
 * that holds nothing of it (Automerge's own: the document's heads and,
 * as its one change, the document saved, what `Automerge.load` takes).
 */
export interface CachedDoc extends DocSource {
  readonly message: Uint8Array;
}

/**
 * A bounded cache of block documents built from the store, kept as their
 * first sync message to an empty peer (compressed: about a fifth of the
 * block bytes for evaluation events), least recently used first out. A
 * session serves such a peer the message as it is, and loads the document
 * for any other.
 *
 * The store stays the source of truth: an entry is only a shortcut to a
 * document that can always be rebuilt. A caller uses an entry only when the
 * store still ends the bucket at the same block ({@link DocSource.lastSeq},
 * {@link DocSource.lastId}) and its message names exactly the recorded
 * heads (and, when loaded, its document holds them); anything else (the
 * bucket grew, the entry was evicted, its bytes do not decode or load or
 * hold other changes) means a rebuild, never a wrong document.
 */
export class DocCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, CachedDoc>();
  #bytes = 0;
  /** Lookups that found a usable entry, and lookups that did not. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry for `key` when it was built from the same blocks as `source` names. */
  get(
    realm: RealmId,
    key: DocKey,
    source: Pick<DocSource, 'lastSeq' | 'lastId'>,
  ): CachedDoc | undefined {
    const k = `${realm}/${key}`;
    const entry = this.#entries.get(k);
    if (entry === undefined || entry.lastSeq !== source.lastSeq || entry.lastId !== source.lastId) {
      if (entry !== undefined) this.#remove(k, entry);
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    // Most recently used last.
    this.#entries.delete(k);
    this.#entries.set(k, entry);
    return entry;
  }

  /** Keeps `entry` for `key`, evicting the least recently used entries past the budget. */
  put(realm: RealmId, key: DocKey, entry: CachedDoc): void {
    const k = `${realm}/${key}`;
    const old = this.#entries.get(k);
    if (old !== undefined) this.#remove(k, old);
    if (entry.message.byteLength > this.#maxBytes) return;
    this.#entries.set(k, entry);
    this.#bytes += entry.message.byteLength;
    for (const [oldest, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#remove(oldest, e);
    }
  }

  /** Forgets the entry just returned for `key`: it did not load into its heads, so the lookup was a miss after all. */
  discard(realm: RealmId, key: DocKey): void {
    const k = `${realm}/${key}`;
    const entry = this.#entries.get(k);
    if (entry === undefined) return;
    this.#remove(k, entry);
    this.stats.hits--;
    this.stats.misses++;
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #remove(k: string, entry: CachedDoc): void {
    this.#entries.delete(k);
    this.#bytes -= entry.message.byteLength;
  }
}
