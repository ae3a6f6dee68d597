import { describe, expect, it } from 'vitest';
import { encodeCanonical, idToBytes } from '../crypto/index.js';
import type { EventId } from '../crypto/index.js';
import {
  blockEvents,
  decodeBlock,
  inclusionProof,
  peekBlock,
  sealBlock,
  verifyInclusion,
} from './block.js';
import { checkEvidence, evidenceOf } from './evidence.js';
import { createRealm } from './realm.js';
import { Ledger } from './ledger.js';
import { MemoryStore } from './memory-store.js';
import { encodeRecord, eventIdOf } from './record.js';
import {
  evaluationDraft,
  futureRecord,
  mutationDraft,
  runDraft,
  testIdentity,
} from './__tests__/fixtures.js';

async function setup(options: { open?: boolean } = {}) {
  const admin = testIdentity('admin');
  const ledger = await Ledger.open(await MemoryStore.open());
  const { realm, block } = createRealm(admin, { name: 'test', open: options.open ?? true });
  const report = await ledger.ingest([block]);
  expect(report.accepted).toHaveLength(1);
  return { admin, ledger, realm, genesis: block };
}

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[index]! ^= 0x01;
  return out;
}

describe('Ledger.ingest', () => {
  it('one writer per chain: a ledger hands the same writer to every caller', async () => {
    const ledger = await Ledger.open(await MemoryStore.open());
    const me = testIdentity('me');
    const { realm } = createRealm(me, { name: 'writers' });
    const [w1, w2] = await Promise.all([ledger.writer(me, realm), ledger.writer(me, realm)]);
    expect(w1).toBe(w2);
  });

  it('accepts a written chain and reads it back', async () => {
    const { admin, ledger, realm } = await setup();
    const w = await ledger.writer(admin, realm, { blockSize: 3 });
    const run = w.emit(runDraft());
    let prev = run;
    for (let i = 1; i <= 7; i++) prev = w.emit(mutationDraft(prev, i));
    await w.flush();
    const counts = await ledger.store.counts();
    expect(counts.events).toBe(1 + 8);
    const stored = await ledger.store.getEvent(prev);
    expect(stored?.kind).toBe('mutation');
  });

  it('is idempotent', async () => {
    const { ledger, genesis } = await setup();
    const again = await ledger.ingest([genesis, genesis.bytes]);
    expect(again.duplicates).toBe(2);
    expect(again.accepted).toHaveLength(0);
  });

  it('refuses a tampered block with INVALID_SIGNATURE or BAD_ROOT and keeps the valid one beside it', async () => {
    const { admin, ledger, realm } = await setup();
    const head = await ledger.store.head(realm, admin.publicKey);
    const good = sealBlock(admin, realm, head, [encodeRecord(runDraft(7))]);
    const other = testIdentity('other');
    const theirs = sealBlock(other, realm, undefined, [encodeRecord(runDraft(8))]);
    const tampered = flip(theirs.bytes, theirs.bytes.length - 3); // inside the record
    const report = await ledger.ingest([tampered, good.bytes]);
    expect(report.accepted.map((b) => b.id)).toEqual([good.id]);
    expect(report.rejected).toHaveLength(1);
    expect(['BAD_ROOT', 'INVALID_SIGNATURE', 'SCHEMA_VIOLATION']).toContain(
      report.rejected[0]!.code,
    );
  });

  it('detects a forged signature', async () => {
    const { admin, ledger, realm } = await setup();
    const head = await ledger.store.head(realm, admin.publicKey);
    const block = sealBlock(admin, realm, head, [encodeRecord(runDraft(7))]);
    const forged = encodeCanonical([block.headerBytes, new Uint8Array(64), block.records]);
    const report = await ledger.ingest([forged]);
    expect(report.rejected[0]?.code).toBe('INVALID_SIGNATURE');
  });

  it('holds back a gap, then admits it when the missing block comes in the same batch', async () => {
    const { admin, ledger, realm } = await setup();
    const head = await ledger.store.head(realm, admin.publicKey);
    const b1 = sealBlock(admin, realm, head, [encodeRecord(runDraft(1))]);
    const b2 = sealBlock(
      admin,
      realm,
      { ...head!, seq: b1.header.seq, id: b1.id, nextEvent: b1.header.first + 1 },
      [encodeRecord(runDraft(2))],
    );
    const alone = await ledger.ingest([b2]);
    expect(alone.rejected[0]?.code).toBe('CHAIN_GAP');
    expect(alone.retryable.map((b) => b.id)).toEqual([b2.id]);
    const both = await ledger.ingest([b2, b1]);
    expect(both.accepted).toHaveLength(2);
  });

  it('catches an author who forks its own chain, keeping evidence', async () => {
    const { admin, ledger, realm } = await setup();
    const head = await ledger.store.head(realm, admin.publicKey);
    const a = sealBlock(admin, realm, head, [encodeRecord(runDraft(1))]);
    const b = sealBlock(admin, realm, head, [encodeRecord(runDraft(2))]);
    expect((await ledger.ingest([a])).accepted).toHaveLength(1);
    const report = await ledger.ingest([b]);
    expect(report.rejected[0]?.code).toBe('CHAIN_FORK');
    expect(report.forks[0]?.held.id).toBe(a.id);
    expect(report.forks[0]?.conflicting.id).toBe(b.id);

    // The fork becomes an evidence event anyone can check with the author's key alone.
    const evidence = evidenceOf(report.forks[0]!);
    expect(checkEvidence(evidence)).toBe(true);
    expect(checkEvidence({ ...evidence, second: evidence.first })).toBe(false);
    const forged = { ...evidence, second: { ...evidence.second, signature: new Uint8Array(64) } };
    expect(checkEvidence(forged)).toBe(false);
    const witness = testIdentity('witness');
    const w = await ledger.writer(witness, realm);
    const id = w.emit({ kind: 'evidence', deps: [], body: evidence });
    await w.flush();
    const stored = await ledger.store.getEvent(id);
    expect(stored?.kind).toBe('evidence');
    expect(stored?.known && stored.kind === 'evidence' && checkEvidence(stored.body)).toBe(true);
  });

  it('refuses a block that names the wrong previous block', async () => {
    const { admin, ledger, realm } = await setup();
    const head = (await ledger.store.head(realm, admin.publicKey))!;
    const wrong = sealBlock(
      admin,
      realm,
      { ...head, id: head.id.replace(/^./, 'f') as typeof head.id },
      [encodeRecord(runDraft(1))],
    );
    expect((await ledger.ingest([wrong])).rejected[0]?.code).toBe('WRONG_PREV');
  });

  it('refuses an event whose dependency is unknown', async () => {
    const { admin, ledger, realm } = await setup();
    const head = await ledger.store.head(realm, admin.publicKey);
    const missing = 'ab'.repeat(32) as EventId;
    const block = sealBlock(admin, realm, head, [encodeRecord(mutationDraft(missing, 1))]);
    expect((await ledger.ingest([block])).rejected[0]?.code).toBe('UNKNOWN_DEPENDENCY');
  });

  it('refuses a body that breaks its schema', async () => {
    const { admin, ledger, realm } = await setup();
    const head = await ledger.store.head(realm, admin.publicKey);
    const bad = encodeCanonical({ v: 1, kind: 'evaluation', deps: [], body: { fitness: 'high' } });
    const block = sealBlock(admin, realm, head, [bad]);
    expect((await ledger.ingest([block])).rejected[0]?.code).toBe('SCHEMA_VIOLATION');
  });

  it('keeps events of unknown kinds and future versions, byte for byte', async () => {
    const { admin, ledger, realm } = await setup();
    const head = await ledger.store.head(realm, admin.publicKey);
    const future = encodeCanonical({
      v: 9,
      kind: 'evaluation',
      deps: [],
      body: { anything: [1, 2] },
    });
    const block = sealBlock(admin, realm, head, [futureRecord(), future]);
    expect((await ledger.ingest([block.bytes])).accepted).toHaveLength(1);
    const back = await ledger.store.getBlock(block.id);
    expect(Buffer.from(back!.bytes).equals(Buffer.from(block.bytes))).toBe(true);
    const events = blockEvents(back!);
    expect(events.map((e) => e.known)).toEqual([false, false]);
  });

  it('refuses blocks of another realm when a realm is expected', async () => {
    const { admin, ledger, realm } = await setup();
    const other = createRealm(admin, { name: 'elsewhere' });
    const report = await ledger.ingest([other.block], { realm });
    expect(report.rejected[0]?.code).toBe('WRONG_REALM');
  });

  it('refuses blocks of a realm whose genesis it lacks', async () => {
    const ledger = await Ledger.open(await MemoryStore.open());
    const admin = testIdentity('admin');
    const { realm } = createRealm(admin, { name: 'unseen' });
    const block = sealBlock(testIdentity('x'), realm, undefined, [encodeRecord(runDraft())]);
    expect((await ledger.ingest([block])).rejected[0]?.code).toBe('UNKNOWN_REALM');
  });

  it('enforces membership in a closed realm, whatever the arrival order', async () => {
    const { admin, ledger, realm } = await setup({ open: false });
    const stranger = testIdentity('stranger');
    const member = testIdentity('member');
    const theirs = sealBlock(stranger, realm, undefined, [encodeRecord(runDraft(1))]);
    expect((await ledger.ingest([theirs])).rejected[0]?.code).toBe('NOT_A_MEMBER');

    const memberBlock = sealBlock(member, realm, undefined, [encodeRecord(runDraft(2))]);
    const head = await ledger.store.head(realm, admin.publicKey);
    const admit = sealBlock(admin, realm, head, [
      encodeRecord({
        kind: 'membership',
        deps: [],
        body: { action: 'add', member: member.publicKey, role: 'member' },
      }),
    ]);
    // The member's block comes first in the batch: it waits for its admission.
    const report = await ledger.ingest([memberBlock, admit]);
    expect(report.accepted.map((b) => b.id).sort()).toEqual([memberBlock.id, admit.id].sort());
    expect(ledger.realm(realm)?.mayWrite(member.publicKey)).toBe(true);
    expect(ledger.realm(realm)?.mayWrite(stranger.publicKey)).toBe(false);
  });

  it('refuses oversized events', () => {
    const huge = {
      kind: 'run' as const,
      deps: [],
      body: { ...runDraft().body, config: { blob: 'x'.repeat(300_000) } },
    };
    expect(() => encodeRecord(huge as never)).toThrowError(
      expect.objectContaining({ code: 'OVERSIZED' }),
    );
  });
});

describe('blocks', () => {
  it('prove a single event on its own, and refuse a wrong one', async () => {
    const { admin, realm } = await setup();
    const records = [1, 2, 3, 4, 5].map((i) => encodeRecord(runDraft(i)));
    const block = sealBlock(admin, realm, undefined, records);
    const proof = inclusionProof(decodeBlock(block.bytes), 3);
    expect(verifyInclusion(proof).id).toBe(block.eventIds[3]);
    expect(() => verifyInclusion({ ...proof, record: records[2]! })).toThrowError(
      expect.objectContaining({ code: 'BAD_ROOT' }),
    );
    expect(() => verifyInclusion({ ...proof, signature: new Uint8Array(64) })).toThrowError(
      expect.objectContaining({ code: 'INVALID_SIGNATURE' }),
    );
  });

  it('show their id and header without decoding their records, and refuse what is not a block', async () => {
    const { admin, realm } = await setup();
    const block = sealBlock(
      admin,
      realm,
      undefined,
      [1, 2, 3].map((i) => encodeRecord(runDraft(i))),
    );
    expect(peekBlock(block.bytes)).toEqual({ id: block.id, header: block.header });
    for (const bad of [
      Uint8Array.of(1, 2, 3),
      encodeCanonical([block.headerBytes, block.signature]),
      encodeCanonical([new Uint8Array(5), block.signature, []]),
    ]) {
      expect(() => peekBlock(bad)).toThrowError(
        expect.objectContaining({ code: 'SCHEMA_VIOLATION' }),
      );
    }
  });

  it('bind realm, author and sequence into event ids', () => {
    const a = testIdentity('a');
    const record = encodeRecord(runDraft());
    const realm = idToBytes('11'.repeat(32) as EventId);
    const id0 = eventIdOf(realm, a.publicKeyBytes, 0, record);
    expect(eventIdOf(realm, a.publicKeyBytes, 1, record)).not.toBe(id0);
    expect(eventIdOf(realm, testIdentity('b').publicKeyBytes, 0, record)).not.toBe(id0);
  });

  it('keep a typical mutation event near 200 bytes', () => {
    const run = 'cd'.repeat(32) as EventId;
    const bytes = encodeRecord(mutationDraft(run, 5)).byteLength;
    expect(bytes).toBeLessThanOrEqual(220);
    const evalBytes = encodeRecord(evaluationDraft(run, run, 5)).byteLength;
    expect(evalBytes).toBeLessThanOrEqual(220);
  });
});
