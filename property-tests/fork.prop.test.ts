import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChainHead, SignedBlock } from '../ledger/index.js';
import { createRealm, encodeRecord, Ledger, sealBlock } from '../ledger/index.js';
import { MemoryStore } from '../ledger/memory-store.js';
import { runDraft, testIdentity } from '../ledger/__tests__/fixtures.js';
import { fcParams } from './fc.js';

describe('author chains', () => {
  it('a fork anywhere in a chain is caught, with both signed blocks as evidence, whatever the arrival order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        fc.boolean(),
        async (length, forkAt, forkFirst) => {
          const author = testIdentity('forker');
          const { realm, block: genesis } = createRealm(testIdentity('admin'), { name: 'forks' });
          const at = forkAt % length;
          const chain: SignedBlock[] = [];
          let head: ChainHead | undefined;
          let forkHead: ChainHead | undefined;
          for (let seq = 0; seq < length; seq++) {
            if (seq === at) forkHead = head;
            const b = sealBlock(author, realm, head, [encodeRecord(runDraft(seq))]);
            chain.push(b);
            head = {
              realm,
              author: author.publicKey,
              seq,
              id: b.id,
              nextEvent: b.header.first + 1,
            };
          }
          const fork = sealBlock(author, realm, forkHead, [encodeRecord(runDraft(1000 + at))]);

          const ledger = await Ledger.open(await MemoryStore.open());
          await ledger.ingest([genesis]);
          // The common prefix arrives first; then one branch, then the other.
          await ledger.ingest(chain.slice(0, at));
          const first = forkFirst ? [fork] : chain.slice(at);
          const second = forkFirst ? chain.slice(at) : [fork];
          await ledger.ingest(first);
          const report = await ledger.ingest(second);

          expect(report.rejected.map((r) => r.code)).toContain('CHAIN_FORK');
          const evidence = report.forks[0]!;
          expect(evidence.seq).toBe(at);
          expect(new Set([evidence.held.id, evidence.conflicting.id])).toEqual(
            new Set([fork.id, chain[at]!.id]),
          );
          // Neither branch's first-arrived blocks are lost.
          const kept = forkFirst ? fork : chain[at]!;
          expect(await ledger.store.hasBlock(kept.id)).toBe(true);
        },
      ),
      fcParams({ numRuns: 60 }),
    );
  });
});
