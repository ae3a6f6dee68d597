import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Pair } from './hash.js';
import { merkleProof, merkleRoot, merkleSubtreeRoots, verifyMerkleProof } from './merkle.js';

describe('merkle tree', () => {
  it('proves every leaf of trees of many sizes, and nothing else', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 33, 1000]) {
      const leaves = Array.from({ length: n }, () => new Uint8Array(randomBytes(32)));
      const root = merkleRoot(leaves);
      for (const i of new Set([0, n - 1, Math.floor(n / 2)])) {
        const proof = merkleProof(leaves, i);
        expect(verifyMerkleProof(leaves[i]!, proof, root)).toBe(true);
        const other = new Uint8Array(leaves[i]!);
        other[0]! ^= 1;
        expect(verifyMerkleProof(other, proof, root)).toBe(false);
      }
    }
  });

  it('the batched root equals the node-by-node definition for every size up to 70', () => {
    const reference = (level: Uint8Array[]): Uint8Array => {
      while (level.length > 1) {
        const next: Uint8Array[] = [];
        for (let i = 0; i < level.length; i += 2)
          next.push(i + 1 < level.length ? sha256Pair(level[i]!, level[i + 1]!) : level[i]!);
        level = next;
      }
      return level[0]!;
    };
    for (let n = 1; n <= 70; n++) {
      const leaves = Array.from({ length: n }, () => new Uint8Array(randomBytes(32)));
      expect(Buffer.from(merkleRoot(leaves)).equals(reference(leaves))).toBe(true);
    }
  });

  it('gives the roots of aligned subtrees, whose own root is the root, for every size up to 70', () => {
    for (let n = 0; n <= 70; n++) {
      const leaves = Array.from({ length: n }, () => new Uint8Array(randomBytes(32)));
      const joined = Buffer.concat(leaves);
      for (const height of [0, 1, 2, 5]) {
        const size = 2 ** height;
        const chunks = Array.from({ length: Math.ceil(n / size) }, (_, k) =>
          merkleRoot(leaves.slice(k * size, (k + 1) * size)),
        );
        const roots = merkleSubtreeRoots(joined, height);
        // The leaves are left as they were (a Buffer here).
        expect(joined.equals(Buffer.concat(leaves))).toBe(true);
        expect(Buffer.from(roots).equals(Buffer.concat(chunks))).toBe(true);
        if (n > 0) {
          const nodes = Array.from({ length: chunks.length }, (_, k) =>
            roots.subarray(32 * k, 32 * k + 32),
          );
          expect(Buffer.from(merkleRoot(nodes)).equals(merkleRoot(leaves))).toBe(true);
        }
      }
    }
    expect(() => merkleSubtreeRoots(new Uint8Array(33), 1)).toThrow(RangeError);
  });

  it('changes the root when leaves are reordered', () => {
    const a = new Uint8Array(randomBytes(32));
    const b = new Uint8Array(randomBytes(32));
    expect(Buffer.from(merkleRoot([a, b])).equals(Buffer.from(merkleRoot([b, a])))).toBe(false);
  });
});
