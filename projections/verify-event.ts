import type { BlockId, EventId } from '../crypto/index.js';
import { inclusionProof, LedgerError, verifyInclusion } from '../ledger/index.js';
import type { EventStore, SignedBlock, StoredEvent } from '../ledger/index.js';

/** The outcome of checking one event's signature, inclusion proof and author chain. */
export interface EventVerification {
  readonly event: EventId;
  readonly block: BlockId;
  readonly ok: boolean;
  /** A ledger error code (`INVALID_SIGNATURE`, `BAD_ROOT`, `WRONG_PREV`, `NOT_FOUND`), null when ok. */
  readonly code: string | null;
  readonly message: string | null;
}

interface BlockVerdict {
  readonly block: SignedBlock | undefined;
  readonly code: string | null;
  readonly message: string | null;
}

/**
 * Checks events against their signed blocks, remembering each block's
 * verdict: the first event of a block is checked with its standalone
 * inclusion proof (block signature, Merkle path, event id recomputed from
 * the record); further events of a block already proven are checked by id
 * against the proven block. Each block's `prev` must be the block the store
 * holds one step earlier in its author's chain.
 */
export class EventVerifier {
  readonly #store: EventStore;
  readonly #blocks = new Map<BlockId, Promise<BlockVerdict>>();

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** Verifies one stored event. Never throws for a failed check: the verdict says why. */
  async verify(event: StoredEvent): Promise<EventVerification> {
    let verdict = this.#blocks.get(event.block);
    let proven = false;
    if (verdict === undefined) {
      verdict = this.#checkBlock(event);
      this.#blocks.set(event.block, verdict);
      proven = true;
    }
    const v = await verdict;
    const fail = (code: string, message: string): EventVerification => ({
      event: event.id,
      block: event.block,
      ok: false,
      code,
      message,
    });
    if (v.code !== null) return fail(v.code, v.message ?? v.code);
    if (!proven) {
      // The block's signature and proof were checked with its first event; ids are bound by its Merkle root.
      if (v.block?.eventIds[event.index] !== event.id) {
        try {
          const decoded = verifyInclusion(inclusionProof(v.block!, event.index));
          if (decoded.id !== event.id)
            return fail(
              'BAD_ROOT',
              `event ${event.id} is not at index ${event.index} of its block`,
            );
        } catch (err) {
          return fail(codeOf(err), (err as Error).message);
        }
      }
    }
    return { event: event.id, block: event.block, ok: true, code: null, message: null };
  }

  async #checkBlock(event: StoredEvent): Promise<BlockVerdict> {
    const block = await this.#store.getBlock(event.block);
    if (block === undefined)
      return { block, code: 'NOT_FOUND', message: `block ${event.block} is not in the store` };
    try {
      const decoded = verifyInclusion(inclusionProof(block, event.index));
      if (decoded.id !== event.id) {
        return {
          block,
          code: 'BAD_ROOT',
          message: `the signed block holds ${decoded.id} where the store says ${event.id}`,
        };
      }
    } catch (err) {
      return { block, code: codeOf(err), message: (err as Error).message };
    }
    const h = block.header;
    if (h.seq > 0) {
      const prev = await this.#store.getBlockAt(h.realm, h.author, h.seq - 1);
      if (prev === undefined) {
        return {
          block,
          code: 'CHAIN_GAP',
          message: `block ${h.seq - 1} of ${h.author} is missing`,
        };
      }
      if (prev.id !== h.prev || prev.header.first + prev.header.count !== h.first) {
        return {
          block,
          code: 'WRONG_PREV',
          message: `block ${block.id} does not follow block ${prev.id}`,
        };
      }
    }
    return { block, code: null, message: null };
  }
}

function codeOf(err: unknown): string {
  if (err instanceof LedgerError) return err.code;
  throw err;
}
