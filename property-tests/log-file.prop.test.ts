import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SignedBlock } from '../ledger/index.js';
import { importLogStream, Ledger, LOG_MAGIC } from '../ledger/index.js';
import { MemoryStore } from '../ledger/memory-store.js';
import { allBlocks, exportBytes, sampleLedger } from '../ledger/__tests__/sample-ledger.js';
import { fcParams } from './fc.js';

// eslint-disable-next-line @typescript-eslint/require-await -- an async source, as files are
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

describe('exported log files under single-bit damage', () => {
  let file: Uint8Array;
  let blocks: SignedBlock[];
  let frameStarts: number[];

  beforeAll(async () => {
    const { ledger } = await sampleLedger({ authors: 3, blocksPerAuthor: 3, blockSize: 3 });
    file = await exportBytes(ledger);
    blocks = await allBlocks(ledger);
    frameStarts = [];
    let at = LOG_MAGIC.length;
    for (const b of blocks) {
      frameStarts.push(at);
      at += 12 + b.bytes.length;
    }
    expect(at).toBe(file.length);
  });

  /** Blocks that cannot survive damage to block `d`: itself, its chain successors, or everything if it is the genesis. */
  function lostWith(d: number): Set<string> {
    if (d < 0) return new Set();
    if (d === 0) return new Set(blocks.map((b) => b.id));
    const hit = blocks[d]!.header;
    return new Set(
      blocks
        .filter(
          (b) =>
            b.header.author === hit.author &&
            b.header.realm === hit.realm &&
            b.header.seq >= hit.seq,
        )
        .map((b) => b.id),
    );
  }

  it('detects any flipped bit and imports every block the damage does not reach', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 7 }), async (pos, bit) => {
        const offset = pos % file.length;
        const damaged = new Uint8Array(file);
        damaged[offset]! ^= 1 << bit;
        const d = frameStarts.findLastIndex((start) => start <= offset);
        const fresh = await Ledger.open(await MemoryStore.open());
        const report = await importLogStream(fresh, once(damaged));

        // Detected: something is reported.
        expect(report.rejected.length).toBeGreaterThan(0);
        // Nothing valid beside it is lost.
        const lost = lostWith(d);
        const held = new Set((await allBlocks(fresh)).map((b) => b.id));
        for (const b of blocks) expect(held.has(b.id)).toBe(!lost.has(b.id));
      }),
      fcParams({ numRuns: 150 }),
    );
  });
});
