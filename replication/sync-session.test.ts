import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../crypto/index.js';
import { sealBlock } from '../ledger/index.js';
import { encodeRecord } from '../ledger/record.js';
import { syntheticDraft, writeSynthetic } from './synthetic.js';
import { blockIds, memoryPeer, syncPair, testIdentity, testRealm } from './test-kit.js';

describe('sync sessions over a fake transport', () => {
  it('brings an empty peer up to date, then finds nothing to do', async () => {
    const admin = testIdentity(1);
    const { realm, block } = testRealm(admin);
    const a = await memoryPeer('a');
    const b = await memoryPeer('b');
    await a.ledger.ingest([block]);
    await writeSynthetic(a.ledger, admin, realm, 2500, { blockSize: 100 });
    const first = await syncPair(b, a, realm);
    expect(first.reduce((n, o) => n + o.accepted, 0)).toBe(26);
    expect(await blockIds(b)).toEqual(await blockIds(a));
    const again = await syncPair(b, a, realm);
    expect(again).toHaveLength(1);
    expect(again[0]!.docs).toBe(0);
    expect(again[0]!.accepted).toBe(0);
  });

  it('merges disjoint writes both ways in one session', async () => {
    const admin = testIdentity(1);
    const other = testIdentity(2);
    const { realm, block } = testRealm(admin);
    const a = await memoryPeer('a');
    const b = await memoryPeer('b');
    await a.ledger.ingest([block]);
    await b.ledger.ingest([block]);
    await writeSynthetic(a.ledger, admin, realm, 300, { blockSize: 7, tag: 1 });
    await writeSynthetic(b.ledger, other, realm, 300, { blockSize: 11, tag: 2 });
    await syncPair(a, b, realm);
    expect(await blockIds(a)).toEqual(await blockIds(b));
    expect((await a.ledger.store.counts()).events).toBe(601);
  });

  it('refuses a non-member and a tampered block, keeps the valid blocks of the same peer', async () => {
    const admin = testIdentity(1);
    const outsider = testIdentity(3);
    const { realm, block } = testRealm(admin, false);
    const a = await memoryPeer('a');
    const b = await memoryPeer('b');
    await a.ledger.ingest([block]);
    await writeSynthetic(a.ledger, admin, realm, 50, { blockSize: 10 });
    // The rogue store holds what its own ledger would refuse: written past the validator.
    const rogue = sealBlock(outsider, realm, undefined, [encodeRecord(syntheticDraft(9, 0))]);
    const head = await a.ledger.store.head(realm, admin.publicKey);
    const good = sealBlock(admin, realm, head, [encodeRecord(syntheticDraft(8, 0))]);
    const records = [...good.records];
    const bad = new Uint8Array(records[0]!);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    records[0] = bad;
    const tamperedBytes = encodeCanonical([good.headerBytes, good.signature, records]);
    await a.ledger.store.append([rogue, { ...good, records, bytes: tamperedBytes }]);
    const rejected: string[] = [];
    b.replicator.on('block:rejected', (e) => rejected.push(e.detail.code));
    await syncPair(b, a, realm);
    expect(rejected.sort()).toEqual(['BAD_ROOT', 'NOT_A_MEMBER']);
    expect((await b.ledger.store.counts()).blocks).toBe(6);
    expect(b.replicator.stats.rejected).toEqual({ BAD_ROOT: 1, NOT_A_MEMBER: 1 });
    expect(b.replicator.guard.isPenalised('a')).toBe(true);
  });

  it('records an author who signed two blocks for one seq as evidence', async () => {
    const admin = testIdentity(1);
    const forker = testIdentity(4);
    const { realm, block } = testRealm(admin);
    const a = await memoryPeer('a');
    const b = await memoryPeer('b');
    for (const p of [a, b]) await p.ledger.ingest([block]);
    await writeSynthetic(a.ledger, forker, realm, 30, { blockSize: 10, tag: 1 });
    await writeSynthetic(b.ledger, forker, realm, 40, { blockSize: 10, tag: 2 });
    await syncPair(a, b, realm);
    const ea = await a.replicator.evidenceRecords();
    const eb = await b.replicator.evidenceRecords();
    expect(ea.length + eb.length).toBeGreaterThan(0);
    const any = [...ea, ...eb][0]!;
    expect(any.author).toBe(forker.publicKey);
    expect(any.seq).toBe(0);
  });
});
