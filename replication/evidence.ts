import { toHex } from '../crypto/index.js';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import type { EventStore, ForkEvidence } from '../ledger/index.js';

/** Meta key of the fork evidence this node has seen (for status; the node also records it as an `evidence` event). */
export const EVIDENCE_META_KEY = 'replication/evidence/v1';

/**
 * Proof that an author signed two different blocks for one place in its
 * chain: both signed headers, which anyone can check against the author key.
 */
export interface EvidenceRecord {
  readonly realm: RealmId;
  readonly author: PublicKey;
  readonly seq: number;
  readonly held: BlockId;
  readonly conflicting: BlockId;
  /** Hex of the signed header bytes and signatures of both blocks. */
  readonly heldHeader: string;
  readonly heldSignature: string;
  readonly conflictingHeader: string;
  readonly conflictingSignature: string;
}

/** Fork evidence kept in the store's meta space, deduplicated, at most `max` records. */
export class EvidenceLog {
  readonly #store: EventStore;
  readonly #max: number;
  #records: EvidenceRecord[] | undefined;

  constructor(store: EventStore, max = 1000) {
    this.#store = store;
    this.#max = max;
  }

  /** Every record held. */
  async list(): Promise<readonly EvidenceRecord[]> {
    if (this.#records === undefined) {
      const raw = await this.#store.getMeta(EVIDENCE_META_KEY);
      this.#records =
        raw === undefined ? [] : (JSON.parse(new TextDecoder().decode(raw)) as EvidenceRecord[]);
    }
    return this.#records;
  }

  /** Adds the forks an ingest reported; returns the ones that were new, with their records. */
  async add(
    forks: readonly ForkEvidence[],
  ): Promise<{ record: EvidenceRecord; fork: ForkEvidence }[]> {
    const records = [...(await this.list())];
    const added: { record: EvidenceRecord; fork: ForkEvidence }[] = [];
    for (const f of forks) {
      const dup = records.some(
        (r) =>
          r.realm === f.realm &&
          r.author === f.author &&
          r.seq === f.seq &&
          r.conflicting === f.conflicting.id,
      );
      if (dup || records.length >= this.#max) continue;
      const record: EvidenceRecord = {
        realm: f.realm,
        author: f.author,
        seq: f.seq,
        held: f.held.id,
        conflicting: f.conflicting.id,
        heldHeader: toHex(f.held.headerBytes),
        heldSignature: toHex(f.held.signature),
        conflictingHeader: toHex(f.conflicting.headerBytes),
        conflictingSignature: toHex(f.conflicting.signature),
      };
      records.push(record);
      added.push({ record, fork: f });
    }
    if (added.length > 0) {
      this.#records = records;
      await this.#store.putMeta(
        EVIDENCE_META_KEY,
        new TextEncoder().encode(JSON.stringify(records)),
      );
    }
    return added;
  }
}
