import { describe, expect, it } from 'vitest';
import {
  createRealm,
  encodeRecord,
  evidenceOf,
  Ledger,
  MemoryStore,
  sealBlock,
} from '../ledger/index.js';
import { runDraft, testIdentity } from '../ledger/__tests__/fixtures.js';
import { finalize, foldEvents, initialState } from './index.js';

describe('fork evidence in projections', () => {
  it('flags an author proven to have forked its chain, and ignores forged evidence', async () => {
    const ledger = await Ledger.open(await MemoryStore.open());
    const admin = testIdentity('admin');
    const forker = testIdentity('forker');
    const { realm, block } = createRealm(admin, { name: 'evidence' });
    await ledger.ingest([block]);
    const a = sealBlock(forker, realm, undefined, [encodeRecord(runDraft(1))]);
    const b = sealBlock(forker, realm, undefined, [encodeRecord(runDraft(2))]);
    await ledger.ingest([a]);
    const fork = (await ledger.ingest([b])).forks[0]!;

    const writer = await ledger.writer(admin, realm);
    const real = evidenceOf(fork);
    writer.emit({ kind: 'evidence', deps: [], body: real });
    // Forged: the second header is signed by nobody.
    writer.emit({
      kind: 'evidence',
      deps: [],
      body: {
        ...real,
        offender: admin.publicKey,
        second: { ...real.second, signature: new Uint8Array(64) },
      },
    });
    await writer.flush();

    const state = await foldEvents(initialState(), ledger.store.events());
    const credit = new Map(finalize(state).credit.map((c) => [c.author, c]));
    expect(credit.get(forker.publicKey)?.forked).toBe(true);
    expect(credit.get(admin.publicKey)?.forked).toBe(false);
  });
});
