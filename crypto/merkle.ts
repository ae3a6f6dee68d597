import { bytesEqual } from './bytes.js';
import { sha256, sha256Pair } from './hash.js';

/**
 * Merkle trees over event ids. The leaves are the ids themselves: they are
 * already domain-tagged hashes (`evoledger/event/v1`), so an inner node
 * (an untagged sha256 of two children) can never pass for a leaf, and each
 * event costs one hash instead of two. An odd node is promoted unchanged;
 * the block header binds the leaf count.
 */
const EMPTY = sha256(new TextEncoder().encode('evoledger/merkle/empty'));

/** One step of an inclusion proof: a sibling hash and which side it sits on. */
export interface ProofStep {
  readonly sibling: Uint8Array;
  readonly left: boolean;
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = new Array<Uint8Array>((level.length + 1) >> 1);
  for (let i = 0, j = 0; i < level.length; i += 2, j++) {
    const b = level[i + 1];
    next[j] = b === undefined ? level[i]! : sha256Pair(level[i]!, b);
  }
  return next;
}

/** Merkle root of `leaves` (32-byte event ids, in block order). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY;
  let level = leaves;
  while (level.length > 1) level = nextLevel(level);
  return level[0]!;
}

/** Inclusion proof of leaf `index`: the siblings from the leaf up to the root. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): ProofStep[] {
  if (index < 0 || index >= leaves.length) throw new RangeError(`no leaf ${index}`);
  const proof: ProofStep[] = [];
  let level = leaves;
  let i = index;
  while (level.length > 1) {
    const siblingIndex = i ^ 1;
    const sibling = level[siblingIndex];
    if (sibling !== undefined) proof.push({ sibling, left: siblingIndex < i });
    level = nextLevel(level);
    i >>= 1;
  }
  return proof;
}

/** True when `leaf` with `proof` hashes up to `root`. */
export function verifyMerkleProof(
  leaf: Uint8Array,
  proof: readonly ProofStep[],
  root: Uint8Array,
): boolean {
  let acc = leaf;
  for (const step of proof)
    acc = step.left ? sha256Pair(step.sibling, acc) : sha256Pair(acc, step.sibling);
  return bytesEqual(acc, root);
}
