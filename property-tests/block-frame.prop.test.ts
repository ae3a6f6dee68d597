import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idToBytes, merkleProof, merkleRoot, verifyMerkleProof } from '../crypto/index.js';
import type { ProofStep } from '../crypto/index.js';
import { verifyInclusion } from '../ledger/block.js';
import type { SignedBlock } from '../ledger/block.js';
import {
  BlockHead,
  BlockPart,
  frameBlock,
  partOf,
  PART_EVENTS,
} from '../ledger/level-block-frame.js';
import {
  alice,
  ChainBuilder,
  evaluationDraft,
  mutationDraft,
  realmA,
} from '../ledger/__fixtures__/sample-blocks.js';
import { fcParams } from './fc.js';

const plain = (path: readonly ProofStep[]) =>
  path.map((s) => [Buffer.from(s.sibling).toString('hex'), s.left]);

/** A block of `count` events as the level store keeps it: head and parts, read back. */
function framed(count: number) {
  const drafts = Array.from({ length: count }, (_, i) =>
    i % 2 === 0 ? mutationDraft(i, i + 1) : evaluationDraft(i),
  );
  const block: SignedBlock = new ChainBuilder(alice, realmA).next(drafts);
  const [headValue, ...partValues] = frameBlock(block);
  const head = new BlockHead(0, headValue!);
  const parts = partValues.map((v, k) => new BlockPart(0, k + 1, v, head));
  return { block, head, parts, headValue: headValue! };
}

const roots = (head: BlockHead) =>
  Array.from({ length: head.parts }, (_, k) => head.partRoots.subarray(32 * k, 32 * k + 32));

describe('block frame: part roots (property)', () => {
  it('the part roots make the signed root, and a proof from the head and one part is the whole tree proof', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 * PART_EVENTS + 3 }), (count) => {
        const { block, head, parts } = framed(count);
        const ids = block.eventIds.map((id) => idToBytes(id));
        expect(Buffer.from(merkleRoot(roots(head))).equals(block.header.root)).toBe(true);
        for (let i = 0; i < count; i++) {
          const part = parts[partOf(i) - 1]!;
          const path = head.proof(part, i);
          expect(plain(path)).toEqual(plain(merkleProof(ids, i)));
          // The signature check is the slow part: a few events a block.
          if (i !== 0 && i !== count - 1 && i !== count >> 1) continue;
          const { headerBytes, signature } = head;
          const record = part.record(i - part.from);
          expect(verifyInclusion({ headerBytes, signature, index: i, record, path }).id).toBe(
            block.eventIds[i],
          );
        }
      }),
      fcParams({ numRuns: 25 }),
    );
  });

  it('a damaged part root fails the proof of every event outside its part, and of none inside', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: PART_EVENTS + 1, max: 4 * PART_EVENTS }),
        fc.nat(),
        fc.nat(31),
        (count, which, byte) => {
          const { block, head, parts, headValue } = framed(count);
          const k = which % head.parts;
          const damaged = Buffer.from(headValue);
          damaged[damaged.byteLength - head.lead.byteLength - 32 * (head.parts - k) + byte]! ^= 1;
          const bad = new BlockHead(0, damaged);
          for (let i = 0; i < count; i++) {
            const part = parts[partOf(i) - 1]!;
            const ok = verifyMerkleProof(
              idToBytes(block.eventIds[i]!),
              bad.proof(part, i),
              block.header.root,
            );
            expect(ok).toBe(partOf(i) - 1 === k);
          }
        },
      ),
      fcParams({ numRuns: 25 }),
    );
  });
});
