import { bytesEqual } from './bytes.js';
import { hashInto, sha256, sha256Pair } from './hash.js';

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

/**
 * Merkle root of `leaves` (32-byte event ids, in block order): the ids laid
 * end to end, then {@link merkleRootOfJoined}.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(leaves.length * 32);
  leaves.forEach((leaf, i) => {
    if (leaf.byteLength !== 32)
      throw new RangeError(`a Merkle leaf is 32 bytes, not ${leaf.byteLength}`);
    joined.set(leaf, i * 32);
  });
  return merkleRootOfJoined(joined);
}

/**
 * Merkle root of 32-byte leaves laid end to end. Each level is one
 * contiguous buffer hashed pair by pair in one call (`hashInto`: four SIMD
 * lanes at a time, no allocation per node); the per-node form (`nextLevel`,
 * used by proofs) is the reference a property holds it to. `leaves` is
 * read, never written.
 */
export function merkleRootOfJoined(leaves: Uint8Array): Uint8Array {
  if (leaves.byteLength % 32 !== 0)
    throw new RangeError(`Merkle leaves are 32 bytes each, not ${leaves.byteLength} bytes in all`);
  const n = leaves.byteLength / 32;
  if (n === 0) return EMPTY;
  if (n === 1) return leaves.slice(0, 32);
  let level = leaves;
  let next = new Uint8Array(((n + 1) >> 1) * 32);
  let spare = new Uint8Array(next.byteLength);
  for (let width = n; width > 1; width = (width + 1) >> 1) {
    const pairs = width >> 1;
    hashInto(level.subarray(0, pairs * 64), next.subarray(0, pairs * 32));
    // An odd node is promoted unchanged.
    if (width & 1) next.set(level.subarray((width - 1) * 32, width * 32), pairs * 32);
    // The leaves are the caller's: after the first level, two buffers take turns.
    level = next;
    [next, spare] = [spare, next];
  }
  return level.slice(0, 32);
}

/**
 * The nodes `height` levels above the leaves of the tree {@link merkleRoot}
 * builds over `leaves` (32-byte ids laid end to end): node `k` is the root
 * of the aligned subtree of leaves `k·2^height` to `(k+1)·2^height − 1`
 * (the last may hold fewer), i.e. `merkleRoot` of that run of leaves; the
 * tree over these nodes is the rest of the tree. Hashed a level at a time
 * as {@link merkleRoot} does. Returned end to end, 32 bytes each.
 */
export function merkleSubtreeRoots(leaves: Uint8Array, height: number): Uint8Array {
  if (leaves.byteLength % 32 !== 0)
    throw new RangeError(`Merkle leaves are 32 bytes each, not ${leaves.byteLength} bytes in all`);
  let width = leaves.byteLength / 32;
  // A copy (a Buffer's `slice` would be a view): the levels are hashed in place.
  let level = new Uint8Array(leaves);
  let next = new Uint8Array(((width + 1) >> 1) * 32);
  for (let h = 0; h < height && width > 1; h++) {
    const pairs = width >> 1;
    hashInto(level.subarray(0, pairs * 64), next.subarray(0, pairs * 32));
    // An odd node is promoted unchanged.
    if (width & 1) next.set(level.subarray((width - 1) * 32, width * 32), pairs * 32);
    [level, next] = [next, level];
    width = (width + 1) >> 1;
  }
  return level.slice(0, width * 32);
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
