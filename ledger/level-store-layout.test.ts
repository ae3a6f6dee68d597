import { describe, expect, it } from 'vitest';
import type { BlockId } from '../crypto/index.js';
import { blockEvents, inclusionProof, verifyInclusion } from './block.js';
import type { InclusionProof, SignedBlock } from './block.js';
import type { EventDraft } from './event.js';
import { PART_EVENTS, partOf } from './level-block-frame.js';
import { logKey, Table } from './level-layout.js';
import { LevelStore } from './level-store.js';
import {
  alice,
  evaluationDraft,
  mutationDraft,
  realmA,
  unknownKindRecord,
} from './__fixtures__/sample-blocks.js';
import { editLevel, tempDirs, twoBlockStore } from './__fixtures__/level-dirs.js';
import { collect, plain } from './__fixtures__/sample-world.js';

const tempDir = tempDirs('level-layout');

const drafts = (n: number): (EventDraft | Uint8Array)[] =>
  Array.from({ length: n }, (_, i) =>
    i % 5 === 4 ? unknownKindRecord() : i % 2 === 0 ? mutationDraft(i, i + 1) : evaluationDraft(i),
  );

/** A store holding a block of one event, then one of `2 × PART_EVENTS + 5` events. */
const filled = async () => twoBlockStore(await tempDir(), drafts);

const plainProof = (p: InclusionProof) => ({
  ...p,
  headerBytes: plain(p.headerBytes),
  signature: plain(p.signature),
  record: plain(p.record),
  path: p.path.map((s) => ({ sibling: plain(s.sibling), left: s.left })),
});

const expectEvents = async (store: LevelStore, block: SignedBlock, indexes: number[]) => {
  const decoded = blockEvents(block);
  for (const i of indexes) {
    const event = await store.getEvent(block.eventIds[i]!);
    expect(event).toMatchObject({ ...decoded[i], block: block.id, index: i });
  }
};

describe('LevelStore layout: blocks kept in parts', () => {
  it('reads an event by id from anywhere in a block kept in parts, and the block byte for byte', async () => {
    const { dir, small, big } = await filled();
    const store = await LevelStore.open(dir);
    try {
      // First, last, both sides of each part boundary, and the middle of a part.
      await expectEvents(store, big, [0, 1, PART_EVENTS - 1, PART_EVENTS, 40, 2 * PART_EVENTS + 4]);
      await expectEvents(store, small, [0]);
      for (const block of [small, big]) {
        expect(plain((await store.getBlock(block.id))!.bytes)).toEqual(plain(block.bytes));
        expect((await store.getBlock(block.id))!.eventIds).toEqual(block.eventIds);
      }
      const all = await collect(store.events());
      expect(all.map((e) => e.id)).toEqual([...small.eventIds, ...big.eventIds]);
      const blocks = await collect(store.blocks());
      expect(blocks.map((b) => plain(b.bytes))).toEqual([plain(small.bytes), plain(big.bytes)]);
      const raw = await collect(store.chainBytes(realmA, alice.publicKey));
      expect(raw.map((b) => [b.id, b.seq, plain(b.bytes)])).toEqual([
        [small.id, 0, plain(small.bytes)],
        [big.id, 1, plain(big.bytes)],
      ]);
    } finally {
      await store.close();
    }
  });

  it('reports a missing part as NOT_FOUND, and still serves the other parts', async () => {
    const { dir, big } = await filled();
    await editLevel(dir, (db) => db.del(logKey(1, 2)));
    const store = await LevelStore.open(dir);
    try {
      const lost = big.eventIds[PART_EVENTS + 3]!;
      await expect(store.getEvent(lost)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.getEvent(lost)).rejects.toThrow(/damaged/);
      await expectEvents(store, big, [0, 2 * PART_EVENTS]);
      await expect(store.getBlock(big.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(collect(store.blocks())).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(collect(store.chainBytes(realmA, alice.publicKey))).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(collect(store.events({ realm: realmA }))).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    } finally {
      await store.close();
    }
  });

  it('reports a damaged part or head as SCHEMA_VIOLATION', async () => {
    const { dir, big } = await filled();
    await editLevel(dir, async (db) => {
      const part = await db.get(logKey(1, 1));
      await db.put(logKey(1, 1), part.subarray(0, part.byteLength - 7));
      const head = await db.get(logKey(1, 0));
      await db.put(logKey(1, 0), head.subarray(0, head.byteLength - 1));
    });
    const store = await LevelStore.open(dir);
    try {
      await expect(store.getEvent(big.eventIds[2]!)).rejects.toMatchObject({
        code: 'SCHEMA_VIOLATION',
      });
      await expect(store.getBlock(big.id)).rejects.toMatchObject({ code: 'SCHEMA_VIOLATION' });
      await expectEvents(store, big, [PART_EVENTS]);
    } finally {
      await store.close();
    }
  });

  it('reports a block an index names but the log lacks as NOT_FOUND', async () => {
    const { dir, big } = await filled();
    await editLevel(dir, async (db) => {
      for (let part = 0; part <= partOf(big.eventIds.length - 1); part++) {
        await db.del(logKey(1, part));
      }
    });
    const store = await LevelStore.open(dir);
    try {
      await expect(store.getEvent(big.eventIds[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.getBlock(big.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await store.close();
    }
  });

  it('refuses a store written in an older layout, saying what to do', async () => {
    for (const version of [1, 2]) {
      const { dir } = await filled();
      await editLevel(dir, (db) => db.put(Uint8Array.of(Table.version), Uint8Array.of(version)));
      const err: unknown = await LevelStore.open(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'LedgerError', code: 'STORE_UNAVAILABLE' });
      expect((err as Error).message).toMatch(
        new RegExp(`layout version ${version}.*export and re-import`),
      );
    }
  });

  it("proves an event from its block's head and one part, and names a chain's blocks from their heads", async () => {
    const { dir, small, big } = await filled();
    const store = await LevelStore.open(dir);
    try {
      for (const block of [small, big]) {
        for (let i = 0; i < block.eventIds.length; i++) {
          const proof = (await store.inclusionProof(block.id, i))!;
          expect(plainProof(proof)).toEqual(plainProof(inclusionProof(block, i)));
          expect(verifyInclusion(proof).id).toBe(block.eventIds[i]);
        }
        expect(await store.inclusionProof(block.id, block.eventIds.length)).toBeUndefined();
        const { realm, author, seq, first, count } = block.header;
        expect(await store.blockInfoAt(realm, author, seq)).toEqual({ id: block.id, first, count });
      }
      expect(await store.inclusionProof('f'.repeat(64) as BlockId, 0)).toBeUndefined();
      expect(await store.inclusionProof('bad' as BlockId, 0)).toBeUndefined();
      expect(await store.blockInfoAt(realmA, alice.publicKey, 2)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('LevelStore layout: meta values in chunks', () => {
  it('keeps a value larger than a chunk, replaces it whole, and deletes every chunk', async () => {
    const dir = await tempDir();
    const store = await LevelStore.open(dir, { sync: false });
    const big = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff);
    try {
      await store.putMeta('cache', big);
      await store.putMeta('cache-other', Uint8Array.of(9));
      expect(await store.getMeta('cache')).toEqual(big);
      await store.putMeta('cache', Uint8Array.of(1, 2));
      expect(await store.getMeta('cache')).toEqual(Uint8Array.of(1, 2));
      await store.putMeta('cache', big);
      await store.deleteMeta('cache');
      expect(await store.getMeta('cache')).toBeUndefined();
      expect(await store.getMeta('cache-other')).toEqual(Uint8Array.of(9));
    } finally {
      await store.close();
    }
    let metaKeys = 0;
    await editLevel(dir, async (db) => {
      const range = { gte: Uint8Array.of(Table.meta), lt: Uint8Array.of(Table.meta + 1) };
      for await (const _ of db.keys(range)) metaKeys++;
    });
    expect(metaKeys).toBe(1); // cache-other's one chunk: nothing of 'cache' is left
  });
});
