import { encodeCanonical, fromHex, idToBytes, taggedHash, toHex } from '../crypto/index.js';
import type { EventId, RealmId } from '../crypto/index.js';
import type { EventStore } from '../ledger/index.js';
import type { StatusProjection } from './status-projection.js';

const TAG = 'evoledger/replication/event-set/v1';

/**
 * The default projection hash: a hash of the sorted set of event ids the
 * store holds (in `realms`, or all). Two nodes holding the same events give
 * the same hash, whatever order the events arrived in. The lead replaces it
 * with a hash of the real projections through `NodeInit.projection`.
 * Reads the whole store: a running node uses {@link EventSetDigest}.
 */
export async function eventSetHash(
  store: EventStore,
  realms?: readonly RealmId[],
): Promise<string> {
  const ids: string[] = [];
  const scopes = realms === undefined ? [undefined] : realms;
  for (const realm of scopes) {
    for await (const b of store.blocks(realm === undefined ? {} : { realm }))
      ids.push(...b.eventIds);
  }
  ids.sort();
  const bytes = new Uint8Array(ids.length * 32);
  ids.forEach((id, i) => bytes.set(idToBytes(id as EventId), i * 32));
  return toHex(taggedHash(TAG, encodeCanonical(ids.length), bytes));
}

const MOD = 1n << 256n;

/**
 * The same fact as {@link eventSetHash} (equal sets, equal digests; any
 * arrival order), kept incrementally: the sum modulo 2^256 of each event's
 * tagged hash, updated from the blocks appended since the last call. A node
 * reports it every few hundred ms without re-reading its log.
 */
export class EventSetDigest implements StatusProjection {
  readonly #store: EventStore;
  readonly #realms: ReadonlySet<RealmId> | undefined;
  #position = 0;
  #sum = 0n;
  #count = 0;

  constructor(store: EventStore, realms?: ReadonlySet<RealmId>) {
    this.#store = store;
    this.#realms = realms;
  }

  /** Folds in the blocks appended since the last call and returns the digest (hex). */
  async update(): Promise<string> {
    await this.catchUp();
    return this.hash();
  }

  /** Folds in the blocks appended since the last call; resolves to the events folded. */
  async catchUp(): Promise<number> {
    let folded = 0;
    for await (const b of this.#store.blocks({ fromPosition: this.#position })) {
      this.#position++;
      if (this.#realms !== undefined && !this.#realms.has(b.header.realm)) continue;
      for (const id of b.eventIds) {
        this.#sum = (this.#sum + BigInt('0x' + toHex(taggedHash(TAG, idToBytes(id))))) % MOD;
        this.#count++;
        folded++;
      }
    }
    return folded;
  }

  /** Store blocks folded so far. */
  get blocks(): number {
    return this.#position;
  }

  /** The digest (hex) of the events folded so far. */
  hash(): string {
    return toHex(
      taggedHash(
        TAG,
        encodeCanonical(this.#count),
        fromHex(this.#sum.toString(16).padStart(64, '0'), 32),
      ),
    );
  }
}
