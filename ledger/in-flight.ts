import type { BlockId, EventId, PublicKey, RealmId } from '../crypto/index.js';
import type { ChainHead, SignedBlock } from './block.js';

/** Key of an author's chain in a realm. */
export const chainKey = (realm: RealmId, author: PublicKey) => `${realm}:${author}`;

/**
 * Blocks admitted by an ingest call whose write is not yet durable. Later
 * calls validate against them as if they were stored, so validating the
 * next batch overlaps writing the last one (the store's own thread writes
 * while this one checks).
 */
export class InFlight {
  readonly blocks = new Map<BlockId, SignedBlock>();
  /** By chain and sequence number (`realm:author:seq`), for fork evidence. */
  readonly seats = new Map<string, SignedBlock>();
  readonly heads = new Map<string, ChainHead>();
  readonly events = new Set<EventId>();
  /** The last write queued: a write waits for the one before it, and fails with it. */
  last: Promise<void> = Promise.resolve();
  calls = 0;

  /** Adds admitted `blocks`; `heads` holds their chains' heads after them. */
  add(blocks: readonly SignedBlock[], heads: ReadonlyMap<string, ChainHead | null>): void {
    for (const b of blocks) {
      const key = chainKey(b.header.realm, b.header.author);
      this.blocks.set(b.id, b);
      this.seats.set(`${key}:${b.header.seq}`, b);
      for (const id of b.eventIds) this.events.add(id);
      const head = heads.get(key);
      if (head !== null && head !== undefined) this.heads.set(key, head);
    }
  }

  /** Forgets `blocks` once they are stored (or their write failed). */
  remove(blocks: readonly SignedBlock[]): void {
    for (const b of blocks) {
      this.blocks.delete(b.id);
      const key = chainKey(b.header.realm, b.header.author);
      this.seats.delete(`${key}:${b.header.seq}`);
      for (const id of b.eventIds) this.events.delete(id);
      if (this.heads.get(key)?.id === b.id) this.heads.delete(key);
    }
  }
}
