import * as v from 'valibot';
import type { PublicKey } from '../../crypto/index.js';
import { defineKind } from './kind.js';
import { idBytes, uint, wireId } from './wire.js';

/** A signed block header, enough to check the author's signature on its own. */
export interface SignedHeader {
  readonly header: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Proof that an author forked its own chain: two different block headers it
 * signed for the same realm and sequence number. Anyone can check it with
 * the author's key alone; projections flag the author.
 */
export interface EvidenceBody {
  readonly offender: PublicKey;
  readonly seq: number;
  readonly first: SignedHeader;
  readonly second: SignedHeader;
}

const signedHeader = v.object({
  header: v.pipe(v.instance(Uint8Array), v.maxLength(1024)),
  signature: v.pipe(v.instance(Uint8Array), v.length(64)),
});

/** Codec of `evidence` events. */
export const evidenceKind = defineKind({
  kind: 'evidence',
  version: 1,
  schema: v.object({
    offender: wireId<PublicKey>(),
    seq: uint,
    first: signedHeader,
    second: signedHeader,
  }),
  encode: (b: EvidenceBody) => ({
    seq: b.seq,
    first: { header: b.first.header, signature: b.first.signature },
    second: { header: b.second.header, signature: b.second.signature },
    offender: idBytes(b.offender),
  }),
});
