import { bytesEqual, idToBytes, SigningDomains, verifyTagged } from '../crypto/index.js';
import { decodeBlockHeader } from './block.js';
import type { SignedBlock } from './block.js';
import type { EvidenceBody } from './kinds/evidence.js';
import type { ForkEvidence } from './ledger.js';

/** The body of an `evidence` event proving the fork `fork`. */
export function evidenceOf(fork: ForkEvidence): EvidenceBody {
  const signed = (b: SignedBlock) => ({ header: b.headerBytes, signature: b.signature });
  return {
    offender: fork.author,
    seq: fork.seq,
    first: signed(fork.held),
    second: signed(fork.conflicting),
  };
}

/**
 * True when the evidence proves a fork: two different headers, both signed by
 * the offender, for the same realm and block number.
 */
export function checkEvidence(e: EvidenceBody): boolean {
  if (bytesEqual(e.first.header, e.second.header)) return false;
  try {
    const a = decodeBlockHeader(e.first.header);
    const b = decodeBlockHeader(e.second.header);
    const key = idToBytes(e.offender);
    return (
      a.author === e.offender &&
      b.author === e.offender &&
      a.realm === b.realm &&
      a.seq === e.seq &&
      b.seq === e.seq &&
      verifyTagged(SigningDomains.block, key, e.first.header, e.first.signature) &&
      verifyTagged(SigningDomains.block, key, e.second.header, e.second.signature)
    );
  } catch {
    return false;
  }
}
