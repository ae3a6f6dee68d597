import { describe, expect, it } from 'vitest';
import { EventSetDigest, eventSetHash } from './projection-hash.js';
import { writeSynthetic } from './synthetic.js';
import { memoryPeer, syncPair, testIdentity, testRealm } from './test-kit.js';

describe('projection hash defaults', () => {
  it('depend on the event set only, not on arrival order, and follow new blocks', async () => {
    const admin = testIdentity(1);
    const other = testIdentity(2);
    const { realm, block } = testRealm(admin);
    const a = await memoryPeer('a');
    const b = await memoryPeer('b');
    for (const p of [a, b]) await p.ledger.ingest([block]);
    await writeSynthetic(a.ledger, admin, realm, 40, { blockSize: 7, tag: 1 });
    await writeSynthetic(b.ledger, other, realm, 30, { blockSize: 4, tag: 2 });
    const da = new EventSetDigest(a.ledger.store, new Set([realm]));
    const db = new EventSetDigest(b.ledger.store, new Set([realm]));
    expect(await da.update()).not.toBe(await db.update());
    await syncPair(a, b, realm);
    expect(await da.update()).toBe(await db.update());
    expect(await eventSetHash(a.ledger.store, [realm])).toBe(
      await eventSetHash(b.ledger.store, [realm]),
    );
  });
});
