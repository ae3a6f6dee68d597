import { describe, expect, it } from 'vitest';
import type { EventId } from '../crypto/index.js';
import type { EventStore } from './store.js';
import { sampleWorld } from './__fixtures__/sample-world.js';

/** A store with `hasEvents`, beyond the {@link EventStore} contract (both stores here). */
export interface FastPathStore extends EventStore {
  hasEvents(ids: readonly EventId[]): Promise<boolean[]>;
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
  });
}
