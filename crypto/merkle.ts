import { createHash } from 'node:crypto';
import { bytesEqual } from './bytes.js';

// RFC 6962-style domain separation: a leaf can never be mistaken for a node.
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
const EMPTY = createHash('sha256').update('evoledger/merkle/empty').digest();

function leafHash(leaf: Uint8Array): Uint8Array {
  return createHash('sha256').update(LEAF).update(leaf).digest();
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** One step of an inclusion proof: a sibling hash and which side it sits on. */
export interface ProofStep {
  readonly sibling: Uint8Array;
  readonly left: boolean;
}

/** Levels of the tree, leaves first; an odd node is promoted unchanged. */
function levels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  let level = leaves.map(leafHash);
  const out = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i]!;
      const b = level[i + 1];
      next.push(b === undefined ? a : nodeHash(a, b));
    }
    out.push(next);
    level = next;
  }
  return out;
}

/** Merkle root of `leaves` (event ids, in block order). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY;
  const all = levels(leaves);
  return all[all.length - 1]![0]!;
}

/** Inclusion proof of leaf `index`: the siblings from the leaf up to the root. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): ProofStep[] {
  if (index < 0 || index >= leaves.length) throw new RangeError(`no leaf ${index}`);
  const proof: ProofStep[] = [];
  let i = index;
  for (const level of levels(leaves).slice(0, -1)) {
    const siblingIndex = i ^ 1;
    const sibling = level[siblingIndex];
    if (sibling !== undefined) proof.push({ sibling, left: siblingIndex < i });
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
  let acc = leafHash(leaf);
  for (const step of proof) acc = step.left ? nodeHash(step.sibling, acc) : nodeHash(acc, step.sibling);
  return bytesEqual(acc, root);
}
