import type { BlockId, EventId, PublicKey, RealmId } from '../crypto/index.js';
import { blockEvents, decodeBlock } from './block.js';
import type { LedgerEvent } from './event.js';
import { LedgerError } from './errors.js';
import type { LedgerErrorCode } from './errors.js';

/**
 * What can be checked of one block on its own (signature, Merkle root,
 * canonical form and schema of every event), reduced to what the ordered
 * checks need (chain, realm, membership, dependencies). Plain data, so it
 * crosses a worker boundary cheaply.
 */
export type BlockCheck =
  | {
      readonly ok: true;
      readonly id: BlockId;
      readonly realm: RealmId;
      readonly author: PublicKey;
      readonly seq: number;
      readonly prev: BlockId | null;
      readonly first: number;
      readonly count: number;
      readonly eventIds: readonly EventId[];
      /** Dependencies of each event. */
      readonly deps: readonly (readonly EventId[])[];
      /** Genesis and membership events: the realm rules need them. */
      readonly realmEvents: readonly LedgerEvent[];
    }
  | { readonly ok: false; readonly code: LedgerErrorCode; readonly message: string };

/** Checks one encoded block on its own. */
export function checkBlock(bytes: Uint8Array): BlockCheck {
  try {
    const block = decodeBlock(bytes, { verify: true });
    const events = blockEvents(block);
    const h = block.header;
    return {
      ok: true,
      id: block.id,
      realm: h.realm,
      author: h.author,
      seq: h.seq,
      prev: h.prev,
      first: h.first,
      count: h.count,
      eventIds: block.eventIds,
      deps: events.map((e) => e.deps),
      realmEvents: events.filter(
        (e) => e.known && (e.kind === 'genesis' || e.kind === 'membership'),
      ),
    };
  } catch (err) {
    if (err instanceof LedgerError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'SCHEMA_VIOLATION', message: (err as Error).message };
  }
}
