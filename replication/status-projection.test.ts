import { describe, expect, it } from 'vitest';
import type { RealmId } from '../crypto/index.js';
import type { Ledger } from '../ledger/index.js';
import { EventSetDigest } from './projection-hash.js';
import { SettledProjectionHash } from './status-projection.js';
import type { ProjectionStamp } from './status-projection.js';
import { writeSynthetic } from './synthetic.js';
import { memoryPeer, testIdentity, testRealm } from './test-kit.js';

/** The stamp of everything the ledger holds now, from a fresh digest. */
async function current(ledger: Ledger, realm: RealmId): Promise<ProjectionStamp> {
  const digest = new EventSetDigest(ledger.store, new Set([realm]));
  return { hash: await digest.update(), blocks: (await ledger.store.counts()).blocks };
}

describe('SettledProjectionHash', () => {
  it('hashes at the first report and after an interval without events, and keeps its stamp while events arrive', async () => {
    const admin = testIdentity(1);
    const { realm, block } = testRealm(admin);
    const { ledger } = await memoryPeer('a');
    await ledger.ingest([block]);
    let written = 0;
    const write = async (n: number) => {
      await writeSynthetic(ledger, admin, realm, n, { blockSize: 7, tag: 1, from: written });
      written += n;
    };
    await write(40);
    const settled = new SettledProjectionHash(
      new EventSetDigest(ledger.store, new Set([realm])),
      3,
    );
    const first = await settled.next();
    expect(first).toEqual(await current(ledger, realm));

    // Events arrived since the last report: the stamp stays, and says which blocks it covers.
    await write(10);
    expect(await settled.next()).toEqual(first);
    expect(first.blocks).toBeLessThan((await ledger.store.counts()).blocks);

    // Nothing arrived since: the hash is of everything held.
    const still = await settled.next();
    expect(still).toEqual(await current(ledger, realm));
    expect(still.hash).not.toBe(first.hash);

    // Events arriving at every report: recomputed every third report.
    await write(5);
    expect(await settled.next()).toEqual(still);
    await write(5);
    expect(await settled.next()).toEqual(still);
    await write(5);
    expect(await settled.next()).toEqual(await current(ledger, realm));
  });

  it('serialises reports made at once', async () => {
    const admin = testIdentity(2);
    const { realm, block } = testRealm(admin);
    const { ledger } = await memoryPeer('b');
    await ledger.ingest([block]);
    await writeSynthetic(ledger, admin, realm, 30, { blockSize: 4, tag: 2 });
    const settled = new SettledProjectionHash(new EventSetDigest(ledger.store, new Set([realm])));
    const [a, b] = await Promise.all([settled.next(), settled.next()]);
    expect(a).toEqual(await current(ledger, realm));
    // The second report folded nothing new (the first had folded everything): the same hash.
    expect(b).toEqual(a);
  });
});
