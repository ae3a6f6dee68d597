import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../ledger/index.js';
import type { SignedBlock } from '../ledger/index.js';
import { MemoryStore } from '../ledger/memory-store.js';
import { eventSetHash } from '../replication/projection-hash.js';
import { writeSynthetic } from '../replication/synthetic.js';
import {
  blockIds,
  memoryPeer,
  syncPair,
  testIdentity,
  testRealm,
} from '../replication/test-kit.js';
import type { MemoryPeer } from '../replication/test-kit.js';
import { fcParams } from './fc.js';

/** Every block of a universe of `authors` chains (plus the realm genesis), in chain order. */
async function universe(chains: readonly { events: number; blockSize: number }[]) {
  const admin = testIdentity(0);
  const { realm, block } = testRealm(admin);
  const ledger = await Ledger.open(await MemoryStore.open());
  await ledger.ingest([block]);
  for (const [i, c] of chains.entries()) {
    await writeSynthetic(ledger, testIdentity(i + 1), realm, c.events, {
      blockSize: c.blockSize,
      tag: i,
    });
  }
  const blocks: SignedBlock[] = [];
  for await (const b of ledger.store.blocks()) blocks.push(b);
  return { realm, blocks };
}

describe('replication converges (property)', () => {
  it('random blocks delivered in random order, duplicated and split across peers converge to identical stores', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            events: fc.integer({ min: 1, max: 40 }),
            blockSize: fc.integer({ min: 1, max: 9 }),
          }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.integer({ min: 2, max: 4 }),
        fc.infiniteStream(fc.nat()),
        async (chains, peerCount, rand) => {
          const { realm, blocks } = await universe(chains);
          const next = () => rand.next().value as number;
          const peers: MemoryPeer[] = [];
          for (let p = 0; p < peerCount; p++) peers.push(await memoryPeer(`p${p}`));
          // Delivery: each block goes to a random non-empty subset of peers, possibly twice, in a shuffled order.
          const deliveries: { peer: number; bytes: Uint8Array }[] = [];
          for (const b of blocks) {
            const mask = (next() % ((1 << peerCount) - 1)) + 1;
            for (let p = 0; p < peerCount; p++) {
              if (mask & (1 << p)) {
                deliveries.push({ peer: p, bytes: b.bytes });
                if (next() % 4 === 0) deliveries.push({ peer: p, bytes: b.bytes });
              }
            }
          }
          for (let i = deliveries.length - 1; i > 0; i--) {
            const j = next() % (i + 1);
            [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
          }
          for (const d of deliveries) await peers[d.peer]!.ledger.ingest([d.bytes], { realm });
          // What some peer stored is what must end up everywhere (a block refused for a gap
          // everywhere was never held, so it cannot be asked for).
          const union = new Set<string>();
          for (const p of peers) for (const id of await blockIds(p)) union.add(id);

          // Sync along a line of peers, in a random schedule, until a full sweep changes nothing.
          // Blocks move both ways in a session: count what every peer admitted.
          const admitted = () => peers.reduce((n, p) => n + p.replicator.stats.blocksAccepted, 0);
          for (let sweep = 0; sweep < 2 * peerCount + 2; sweep++) {
            const before = admitted();
            const order = Array.from({ length: peerCount - 1 }, (_, i) => i).sort(
              () => (next() % 3) - 1,
            );
            for (const i of order) {
              const [a, b] =
                next() % 2 === 0 ? [peers[i]!, peers[i + 1]!] : [peers[i + 1]!, peers[i]!];
              await syncPair(a, b, realm);
            }
            if (admitted() === before) break;
          }
          const expected = [...union].sort();
          for (const p of peers) expect(await blockIds(p)).toEqual(expected);
          const hashes = await Promise.all(peers.map((p) => eventSetHash(p.ledger.store, [realm])));
          expect(new Set(hashes).size).toBe(1);
          for (const p of peers) expect(p.replicator.stats.rejected).toEqual({});
        },
      ),
      fcParams({ numRuns: 50 }),
    );
  }, 120_000);
});
