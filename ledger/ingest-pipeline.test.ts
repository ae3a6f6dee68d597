import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlockId } from '../crypto/index.js';
import type { SignedBlock } from './block.js';
import type { BlockFacts } from './block-facts.js';
import { Ledger } from './ledger.js';
import { LevelStore } from './level-store.js';
import { MemoryStore } from './memory-store.js';
import { createRealm } from './realm.js';
import type { EventStore } from './store.js';
import { verifyStore } from './verify.js';
import { mutationDraft, runDraft, testIdentity } from './__tests__/fixtures.js';

/** A realm's genesis and then `blocks` blocks of one author, each depending on the one before. */
async function chain(blocks: number): Promise<Uint8Array[]> {
  const admin = testIdentity('pipeline-admin');
  const source = await Ledger.open(await MemoryStore.open());
  const { realm, block } = createRealm(admin, { name: 'pipeline' });
  await source.ingest([block]);
  const writer = await source.writer(admin, realm, { blockSize: 3 });
  let prev = writer.emit(runDraft());
  for (let i = 1; i < blocks * 3; i++) prev = writer.emit(mutationDraft(prev, i));
  await writer.flush();
  const out: Uint8Array[] = [];
  for await (const b of source.store.blocks()) out.push(b.bytes);
  return out;
}

/** A memory store whose appends wait for the test to let them through (or fail them). */
async function gatedStore() {
  const inner = await MemoryStore.open();
  const gates: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const asked: BlockId[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'append') {
        return async (blocks: readonly SignedBlock[], facts?: readonly BlockFacts[]) => {
          await new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
          return target.append(blocks, facts);
        };
      }
      if (prop === 'hasBlock') {
        return (id: BlockId) => {
          asked.push(id);
          return target.hasBlock(id);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  }) as EventStore;
  return { store, inner, gates, asked };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const idOf = (bytes: Uint8Array, ledgerBlocks: readonly SignedBlock[]) =>
  ledgerBlocks.find((b) => b.bytes === bytes)?.id;

describe('Ledger.ingest pipelining', () => {
  it('validates the next call while the previous write is in flight, and lands both in order', async () => {
    const blocks = await chain(4);
    const { store, inner, gates, asked } = await gatedStore();
    const ledger = await Ledger.open(store);

    const first = ledger.ingest(blocks.slice(0, 3));
    const second = ledger.ingest(blocks.slice(3));
    for (let i = 0; i < 10 && asked.length < blocks.length; i++) await tick();
    // Every block of the second call was looked at although nothing is written yet.
    expect(asked).toHaveLength(blocks.length);
    expect(gates).toHaveLength(1);
    expect((await inner.counts()).blocks).toBe(0);

    gates[0]!.resolve();
    const r1 = await first;
    for (let i = 0; i < 10 && gates.length < 2; i++) await tick();
    gates[1]!.resolve();
    const r2 = await second;
    expect(r1.accepted).toHaveLength(3);
    expect(r2.accepted).toHaveLength(blocks.length - 3);
    expect(r2.rejected).toEqual([]);
    expect((await inner.counts()).blocks).toBe(blocks.length);
    expect(idOf(blocks[3]!, r2.accepted)).toBeDefined();
  });

  it('a failed write fails the calls validated on top of it, and the ledger recovers', async () => {
    const blocks = await chain(3);
    const { store, inner, gates } = await gatedStore();
    const ledger = await Ledger.open(store);

    const first = ledger.ingest(blocks.slice(0, 2));
    const second = ledger.ingest(blocks.slice(2));
    const outcomes = Promise.allSettled([first, second]);
    for (let i = 0; i < 10 && gates.length < 1; i++) await tick();
    gates[0]!.reject(new Error('disk full'));
    const [o1, o2] = await outcomes;
    expect(o1.status).toBe('rejected');
    expect(o2.status).toBe('rejected');
    expect((await inner.counts()).blocks).toBe(0);

    // Nothing stale is left in flight: the same blocks enter again.
    const again = ledger.ingest(blocks);
    for (let i = 0; i < 10 && gates.length < 2; i++) await tick();
    gates[1]!.resolve();
    const report = await again;
    expect(report.accepted).toHaveLength(blocks.length);
    expect((await inner.counts()).blocks).toBe(blocks.length);
  });

  it('on a level store, many concurrent calls land whole and verify clean', async () => {
    const blocks = await chain(40);
    const dir = await mkdtemp(join(tmpdir(), 'evoledger-pipeline-'));
    try {
      const store = await LevelStore.open(dir);
      const ledger = await Ledger.open(store);
      const reports = await Promise.all(blocks.map((b) => ledger.ingest([b])));
      expect(reports.every((r) => r.accepted.length === 1 && r.rejected.length === 0)).toBe(true);
      expect((await store.counts()).blocks).toBe(blocks.length);
      let problems = -1;
      for await (const p of verifyStore(store, { workers: 1 })) problems = p.problems.length;
      expect(problems).toBe(0);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
