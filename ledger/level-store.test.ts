import { describe, expect, it } from 'vitest';
import { tempDirs } from './__fixtures__/level-dirs.js';
import { collect, sampleWorld } from './__fixtures__/sample-world.js';
import { LevelStore } from './level-store.js';
import { describeEventStoreConformance } from './store-conformance.js';
import { describeStoreFastPaths } from './store-fast-paths-conformance.js';
import type { EventStore } from './store.js';

const tempDir = tempDirs('level-store');

async function reopen(store: EventStore): Promise<EventStore> {
  const { dir } = store as LevelStore;
  await store.close();
  return LevelStore.open(dir);
}

describeEventStoreConformance('LevelStore', async () => LevelStore.open(await tempDir()), reopen);
describeEventStoreConformance(
  'LevelStore (sync: false)',
  async () => LevelStore.open(await tempDir(), { sync: false }),
  reopen,
);
describeStoreFastPaths('LevelStore', async () => LevelStore.open(await tempDir()));

describe('LevelStore', () => {
  it('refuses a directory another holder has open, saying which and what to do', async () => {
    const dir = await tempDir();
    const first = await LevelStore.open(dir);
    try {
      const err = await LevelStore.open(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'LedgerError', code: 'STORE_UNAVAILABLE' });
      expect((err as Error).message).toContain(dir);
    } finally {
      await first.close();
    }
    const again = await LevelStore.open(dir);
    await again.close();
  });

  it('refuses a LevelDB directory that is not an evoledger store', async () => {
    const dir = await tempDir();
    const { Level } = await import('level');
    const foreign = new Level(dir);
    await foreign.put('hello', 'world');
    await foreign.close();
    await expect(LevelStore.open(dir)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('compacts the whole store on request and holds the same blocks and events after', async () => {
    const { blocks } = sampleWorld();
    const store = await LevelStore.open(await tempDir(), { sync: false });
    await store.append(blocks);
    await store.putMeta('cache', new Uint8Array(70_000).fill(7));
    const before = {
      blocks: await collect(store.blocks()),
      events: await collect(store.events()),
      meta: await store.getMeta('cache'),
    };
    await store.compact();
    expect(await collect(store.blocks())).toEqual(before.blocks);
    expect(await collect(store.events())).toEqual(before.events);
    expect(await store.getMeta('cache')).toEqual(before.meta);
    await store.close();
    await expect(store.compact()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('keeps the blocks it appended last in memory, as the bytes it reads back from disk', async () => {
    const { blocks } = sampleWorld();
    const dir = await tempDir();
    let store = await LevelStore.open(dir, { sync: false });
    const stored = (from: number) => collect(store.blockBytes({ fromPosition: from }));
    expect(store.recentBlockBytes(0)).toEqual([]);
    await store.append(blocks.slice(0, 2));
    await store.append(blocks.slice(2, 4));
    for (const from of [0, 1, 3, 4, 9])
      expect(store.recentBlockBytes(from)).toEqual(await stored(from));
    await store.close();
    expect(() => store.recentBlockBytes(0)).toThrow(
      expect.objectContaining({ code: 'STORE_UNAVAILABLE' }),
    );
    // Reopened: only what it appends from now on is in memory.
    store = await LevelStore.open(dir, { sync: false });
    expect(store.recentBlockBytes(3)).toBeUndefined();
    expect(store.recentBlockBytes(4)).toEqual([]);
    await store.append(blocks.slice(4));
    expect(store.recentBlockBytes(3)).toBeUndefined();
    expect(store.recentBlockBytes(4)!.map((b) => b.id)).toEqual(blocks.slice(4).map((b) => b.id));
    for (const from of [4, 5, 6]) expect(store.recentBlockBytes(from)).toEqual(await stored(from));
    await store.close();
  });

  it('rejects operations after close', async () => {
    const store = await LevelStore.open(await tempDir());
    await store.close();
    await expect(store.counts()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
