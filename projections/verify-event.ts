import { bytesEqual } from '../crypto/index.js';
import type { BlockId, EventId } from '../crypto/index.js';
import {
  decodeBlockHeader,
  inclusionProof,
  LedgerError,
  verifyInclusion,
  verifyInclusionUnder,
} from '../ledger/index.js';
import type {
  BlockHeader,
  BlockInfo,
  EventStore,
  InclusionProof,
  SignedBlock,
  StoredEvent,
} from '../ledger/index.js';

/** The outcome of checking one event's signature, inclusion proof and author chain. */
export interface EventVerification {
  readonly event: EventId;
  readonly block: BlockId;
  readonly ok: boolean;
  /** A ledger error code (`INVALID_SIGNATURE`, `BAD_ROOT`, `WRONG_PREV`, `NOT_FOUND`), null when ok. */
  readonly code: string | null;
  readonly message: string | null;
}

/** A block proven with its first event: its signed header (and the block, when read whole). */
interface Proven {
  readonly header: BlockHeader;
  readonly headerBytes: Uint8Array;
  readonly signature: Uint8Array;
  /** The whole block, when the store gives no proofs and it was read whole. */
  readonly block: SignedBlock | undefined;
}

type BlockVerdict =
  { readonly proven: Proven } | { readonly code: string; readonly message: string };

/** A failed check: the ledger's code, or a rethrow of anything else. */
function failure(err: unknown): { code: string; message: string } {
  if (err instanceof LedgerError) return { code: err.code, message: err.message };
  throw err;
}

/**
 * Checks events against their signed blocks, remembering each block's
 * verdict. The first event of a block is checked with its standalone
 * inclusion proof (block signature, Merkle path, event id recomputed from
 * the record), and the block's `prev` must be the block the store holds one
 * step earlier in its author's chain. Further events of a proven block are
 * checked under its proven header: id recomputed and Merkle path (or, for a
 * block read whole, by id against its ids, all bound by its root).
 *
 * A store that offers `inclusionProof` and `blockInfoAt` (the level store)
 * hands out a proof from the block's head and the one part that holds the
 * event, and the previous block's id from its head; any other store is
 * read a whole block at a time.
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
    let first = false;
    if (verdict === undefined) {
      verdict = this.#checkBlock(event);
      this.#blocks.set(event.block, verdict);
      first = true;
    }
    const v = await verdict;
    const failed = 'code' in v ? v : first ? undefined : await this.#checkFurther(v.proven, event);
    return {
      event: event.id,
      block: event.block,
      ok: failed === undefined,
      code: failed?.code ?? null,
      message: failed?.message ?? null,
    };
  }

  /** The proof of `event` from the store, or the whole block when the store gives no proofs. */
  async #proofOf(event: StoredEvent): Promise<InclusionProof | SignedBlock | undefined> {
    const store = this.#store;
    if (store.inclusionProof !== undefined) return store.inclusionProof(event.block, event.index);
    return store.getBlock(event.block);
  }

  async #checkBlock(event: StoredEvent): Promise<BlockVerdict> {
    const got = await this.#proofOf(event);
    if (got === undefined)
      return { code: 'NOT_FOUND', message: `block ${event.block} is not in the store` };
    const block = 'eventIds' in got ? got : undefined;
    let header: BlockHeader;
    try {
      const proof =
        block === undefined ? (got as InclusionProof) : inclusionProof(block, event.index);
      const decoded = verifyInclusion(proof);
      if (decoded.id !== event.id) {
        return {
          code: 'BAD_ROOT',
          message: `the signed block holds ${decoded.id} where the store says ${event.id}`,
        };
      }
      header = block?.header ?? decodeBlockHeader(proof.headerBytes);
    } catch (err) {
      return failure(err);
    }
    if (header.seq > 0) {
      const prev = await this.#blockAt(header, header.seq - 1);
      if (prev === undefined) {
        return {
          code: 'CHAIN_GAP',
          message: `block ${header.seq - 1} of ${header.author} is missing`,
        };
      }
      if (prev.id !== header.prev || prev.first + prev.count !== header.first) {
        return {
          code: 'WRONG_PREV',
          message: `block ${event.block} does not follow block ${prev.id}`,
        };
      }
    }
    const { headerBytes, signature } = block ?? (got as InclusionProof);
    return { proven: { header, headerBytes, signature, block } };
  }

  /** Id and event range of block `seq` of the chain of `header`'s author. */
  async #blockAt(header: BlockHeader, seq: number): Promise<BlockInfo | undefined> {
    const store = this.#store;
    if (store.blockInfoAt !== undefined) return store.blockInfoAt(header.realm, header.author, seq);
    const b = await store.getBlockAt(header.realm, header.author, seq);
    return b === undefined ? undefined : { id: b.id, first: b.header.first, count: b.header.count };
  }

  /** Checks an event of a block already proven; undefined when it checks out. */
  async #checkFurther(
    proven: Proven,
    event: StoredEvent,
  ): Promise<{ code: string; message: string } | undefined> {
    const { block } = proven;
    // A block read whole: its ids are bound by its Merkle root, checked with its first event.
    if (block !== undefined && block.eventIds[event.index] === event.id) return undefined;
    try {
      const proof =
        block === undefined
          ? await this.#store.inclusionProof!(event.block, event.index)
          : inclusionProof(block, event.index);
      if (proof === undefined)
        return { code: 'NOT_FOUND', message: `block ${event.block} has no event ${event.index}` };
      const sameHeader =
        bytesEqual(proof.headerBytes, proven.headerBytes) &&
        bytesEqual(proof.signature, proven.signature);
      const decoded = sameHeader
        ? verifyInclusionUnder(proof, proven.header)
        : verifyInclusion(proof);
      if (decoded.id !== event.id) {
        return {
          code: 'BAD_ROOT',
          message: `event ${event.id} is not at index ${event.index} of its block`,
        };
      }
      return undefined;
    } catch (err) {
      return failure(err);
    }
  }
}
