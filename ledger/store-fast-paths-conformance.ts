import { describe, expect, it } from 'vitest';
import { bytesEqual, idFromBytes } from '../crypto/index.js';
import type { EventId } from '../crypto/index.js';
import { blockEvents } from './block.js';
import { storedBlockBytes, storedBlockEvents } from './block-bytes.js';
import type { EventStore, StoredEvent } from './store.js';
import { collect, sampleWorld } from './__fixtures__/sample-world.js';

/** A store with `hasEvents` and `getEventNow`, beyond the {@link EventStore} contract (both stores here). */
export interface FastPathStore extends EventStore {
  hasEvents(ids: readonly EventId[]): Promise<boolean[]>;
  getEventNow(id: EventId): StoredEvent | undefined;
}

/** `hasEvents(ids)`: `hasEvent` for many ids in one read. */
export function describeStoreFastPaths(name: string, open: () => Promise<FastPathStore>): void {
  describe(`store fast paths (beyond the contract): ${name}`, () => {
    it('answers hasEvents for many ids at once', async () => {
      const { blocks } = sampleWorld();
      const s = await open();
      try {
        await s.append(blocks.slice(0, 2));
        const [a, b] = [blocks[0]!.eventIds[1]!, blocks[1]!.eventIds[0]!];
        const later = blocks[2]!.eventIds[0]!;
        expect(await s.hasEvents([a, later, 'bad' as EventId, b, a])).toEqual([
          true,
          false,
          false,
          true,
          true,
        ]);
        expect(await s.hasEvents([])).toEqual([]);
      } finally {
        await s.close();
      }
    });

    it('reads an event now (getEventNow) as getEvent reads it', async () => {
      const { blocks } = sampleWorld();
      const s = await open();
      await s.append(blocks.slice(0, 2));
      const later = blocks[2]!.eventIds[0]!;
      for (const id of [...blocks[0]!.eventIds, ...blocks[1]!.eventIds, later]) {
        expect(s.getEventNow(id)).toEqual(await s.getEvent(id));
      }
      expect(s.getEventNow(later)).toBeUndefined();
      expect(s.getEventNow('bad' as EventId)).toBeUndefined();
      await s.close();
      expect(() => s.getEventNow(blocks[0]!.eventIds[0]!)).toThrow(
        expect.objectContaining({ code: 'STORE_UNAVAILABLE' }),
      );
    });

    it('hands out blocks as bytes, and their events as blockEvents decodes them', async () => {
      const { blocks } = sampleWorld();
      const s = await open();
      try {
        await s.append(blocks);
        for (const from of [0, 2]) {
          const decoded = await collect(s.blocks({ fromPosition: from }));
          const stored = await collect(storedBlockBytes(s, { fromPosition: from }));
          expect(stored.map((b) => b.id)).toEqual(decoded.map((b) => b.id));
          stored.forEach((b, i) => {
            const block = decoded[i]!;
            const { realm, author, first, count } = block.header;
            expect({ realm: b.realm, author: b.author, first: b.first, count: b.count }).toEqual({
              realm,
              author,
              first,
              count,
            });
            expect(bytesEqual(b.bytes, block.bytes)).toBe(true);
            const ids = Array.from({ length: b.count }, (_, j) =>
              idFromBytes<EventId>(b.eventIds.subarray(32 * j, 32 * j + 32)),
            );
            expect(ids).toEqual(block.eventIds);
            expect(storedBlockEvents(b)).toEqual(blockEvents(block, { trusted: true }));
          });
        }
      } finally {
        await s.close();
      }
    });
  });
}
