import { describe, expect, it } from 'vitest';
import type { EventId } from '../crypto/index.js';
import { blockEvents } from './block.js';
import type { SignedBlock } from './block.js';
import type { LedgerEvent } from './event.js';
import type { EventQuery, EventStore } from './store.js';
import { genotype } from './__fixtures__/sample-blocks.js';
import { collect, ids, sampleWorld, select } from './__fixtures__/sample-world.js';

/**
 * A store with the two fast paths beyond the contract (both stores here):
 * `append` that takes the blocks' events already decoded, and `hasEvents`.
 */
export interface FastPathStore extends EventStore {
  hasEvents(ids: readonly EventId[]): Promise<boolean[]>;
  append(
    blocks: readonly SignedBlock[],
    decoded?: readonly (readonly LedgerEvent[] | undefined)[],
  ): Promise<void>;
}

/**
 * The fast path of `append(blocks, decoded)`: given events index exactly as
 * decoded ones, and events that are not the block's are refused.
 */
export function describeStoreFastPaths(name: string, open: () => Promise<FastPathStore>): void {
  describe(`store fast paths (beyond the contract): ${name}`, () => {
    it('indexes given events as it indexes the ones it decodes', async () => {
      const { blocks, expected } = sampleWorld();
      const s = await open();
      try {
        await s.append(
          blocks,
          blocks.map((b, i) => (i % 2 === 0 ? blockEvents(b) : undefined)),
        );
        expect(ids(await collect(s.events()))).toEqual(expected.map((e) => e.id));
        for (const query of [{ genotype: genotype(4) }, { kind: 'seed' }] as EventQuery[]) {
          expect(ids(await collect(s.events(query)))).toEqual(select(expected, query));
        }
      } finally {
        await s.close();
      }
    });

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

    it("refuses events that are not the block's", async () => {
      const { blocks } = sampleWorld();
      const s = await open();
      try {
        await expect(
          s.append([blocks[0]!, blocks[1]!], [blockEvents(blocks[0]!), blockEvents(blocks[0]!)]),
        ).rejects.toMatchObject({ code: 'SCHEMA_VIOLATION' });
        expect(await s.counts()).toEqual({ blocks: 0, events: 0 });
      } finally {
        await s.close();
      }
    });
  });
}
