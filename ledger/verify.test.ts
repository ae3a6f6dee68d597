import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../crypto/index.js';
import type { SignedBlock } from './block.js';
import { decodeBlock, sealBlock } from './block.js';
import { MemoryStore } from './memory-store.js';
import { encodeRecord } from './record.js';
import { verifyStore } from './verify.js';
import type { VerifyProgress } from './verify.js';
import type { EventStore } from './store.js';
import { runDraft, testIdentity } from './__tests__/fixtures.js';
import { sampleLedger } from './__tests__/sample-ledger.js';

async function verdict(store: EventStore, workers: number): Promise<VerifyProgress> {
  let last: VerifyProgress | undefined;
  for await (const p of verifyStore(store, { workers, every: 1 })) last = p;
  if (last === undefined) throw new Error('verifyStore yielded nothing');
  return last;
}

describe('verifyStore', () => {
  for (const workers of [0, 2]) {
    it(`passes a sound store (${workers ? 'worker threads' : 'this thread'})`, async () => {
      const { ledger } = await sampleLedger();
      const counts = await ledger.store.counts();
      const v = await verdict(ledger.store, workers);
      expect(v.problems).toEqual([]);
      expect(v.blocks).toBe(counts.blocks);
      expect(v.events).toBe(counts.events);
    });
  }

  it('reports what a damaged store holds, by code, with worker threads', async () => {
    const { ledger, realm } = await sampleLedger();
    // A store that holds the sound blocks, then bad ones appended behind the validator's back.
    const store = await MemoryStore.open();
    const good: SignedBlock[] = [];
    for await (const b of ledger.store.blocks()) good.push(b);
    await store.append(good);
    const stranger = testIdentity('verify-stranger');
    const dangling = sealBlock(stranger, realm, undefined, [
      encodeCanonical({ v: 1, body: {}, deps: [new Uint8Array(32)], kind: 'future-kind' }),
    ]);
    const gap = sealBlock(
      stranger,
      realm,
      { realm, author: stranger.publicKey, seq: 4, id: dangling.id, nextEvent: 9 },
      [encodeRecord(runDraft(3))],
    );
    // A block whose signature no longer matches (a flipped bit in the signature).
    const other = testIdentity('verify-other');
    const honest = sealBlock(other, realm, undefined, [encodeRecord(runDraft(4))]);
    const forgedSig = new Uint8Array(honest.signature);
    forgedSig[0]! ^= 1;
    const forged = decodeBlock(encodeCanonical([honest.headerBytes, forgedSig, honest.records]), {
      verify: false,
    });
    await store.append([dangling, gap, forged]);
    const v = await verdict(store, 2);
    const codes = v.problems.map((p) => p.code).sort();
    expect(codes).toEqual(['CHAIN_GAP', 'INVALID_SIGNATURE', 'UNKNOWN_DEPENDENCY']);
    expect(v.problems.find((p) => p.code === 'INVALID_SIGNATURE')?.block).toBe(forged.id);
    expect(v.problems.find((p) => p.code === 'CHAIN_GAP')?.block).toBe(gap.id);
  });
});
