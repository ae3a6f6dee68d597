import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SignedBlock } from '../ledger/block.js';
import type { EventDraft } from '../ledger/event.js';
import { LevelStore } from '../ledger/level-store.js';
import { MemoryStore } from '../ledger/memory-store.js';
import type { EventQuery, EventStore } from '../ledger/store.js';
import {
  alice,
  bob,
  ChainBuilder,
  evaluationDraft,
  genotype,
  mutationDraft,
  realmA,
  realmB,
  seedDraft,
  unknownKindRecord,
} from '../ledger/__fixtures__/sample-blocks.js';
import { fcParams } from './fc.js';

/**
 * Model-based: whatever blocks arrive, in whatever calls, order and
 * repetition, the level store answers every read exactly as the memory
 * store does (the memory store being the simple model of the contract).
 */

// A pool of blocks over three chains and two realms; genotypes drawn from a
// small range so that genotype queries cross blocks, authors and realms.
function pool(): SignedBlock[] {
  const chains = [
    new ChainBuilder(alice, realmA),
    new ChainBuilder(bob, realmA),
    new ChainBuilder(alice, realmB),
  ];
  const blocks: SignedBlock[] = [];
  let n = 0;
  for (let round = 0; round < 4; round++) {
    for (const [c, chain] of chains.entries()) {
      const items: (EventDraft | Uint8Array)[] = [];
      for (let i = 0; i < 2 + ((round + c) % 3); i++) {
        const g = (n++ * 7) % 9;
        const pick = (n + c) % 4;
        items.push(
          pick === 0
            ? seedDraft(g)
            : pick === 1
              ? mutationDraft(g, (g + 1) % 9, n)
              : pick === 2
                ? evaluationDraft(g, n)
                : unknownKindRecord(),
        );
      }
      blocks.push(chain.next(items));
    }
  }
  return blocks;
}

const queries: EventQuery[] = [
  {},
  { kind: 'seed' },
  { kind: 'mutation' },
  { kind: 'evaluation' },
  { kind: 'future-kind' },
  { author: alice.publicKey },
  { author: bob.publicKey },
  { realm: realmB },
  { realm: realmA, author: alice.publicKey },
  { kind: 'evaluation', realm: realmA },
  ...Array.from({ length: 9 }, (_, g) => ({ genotype: genotype(g) })),
  { genotype: genotype(3), author: bob.publicKey },
  { genotype: genotype(5), kind: 'mutation', realm: realmA },
];

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

/** Everything a reader can see, in a form two stores can be compared on. */
async function view(store: EventStore, blocks: readonly SignedBlock[]) {
  const out: unknown[] = [await store.counts()];
  out.push((await collect(store.blocks())).map((b) => b.id));
  out.push((await collect(store.blocks({ realm: realmA, fromPosition: 3 }))).map((b) => b.id));
  for (const q of queries) {
    out.push((await collect(store.events(q))).map((e) => [e.id, e.block, e.index, e.position]));
  }
  const heads = await collect(store.heads());
  out.push(heads.map((h) => JSON.stringify(h)).sort());
  for (const h of heads) {
    out.push((await collect(store.chain(h.realm, h.author, 1))).map((b) => b.id));
  }
  for (const b of blocks) {
    out.push(await store.hasBlock(b.id));
    const e = await store.getEvent(b.eventIds[b.eventIds.length - 1]!);
    out.push(e === undefined ? null : [e.id, e.kind, e.position, e.known]);
  }
  return out;
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('LevelStore against the memory model', () => {
  const blocks = pool();

  it('answers every read as the memory store does, whatever the arrivals', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Each call appends some blocks of the pool, in any order, possibly repeated.
        fc.array(fc.array(fc.nat({ max: blocks.length - 1 }), { minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.boolean(),
        async (calls, concurrent) => {
          const dir = await mkdtemp(path.join(os.tmpdir(), 'evoledger-store-model-'));
          dirs.push(dir);
          const level = await LevelStore.open(dir, { sync: false });
          const memory = await MemoryStore.open();
          try {
            const batches = calls.map((call) => call.map((i) => blocks[i]!));
            // The memory store takes calls in order; concurrent level calls are queued in order too.
            for (const batch of batches) await memory.append(batch);
            if (concurrent) await Promise.all(batches.map((batch) => level.append(batch)));
            else for (const batch of batches) await level.append(batch);
            expect(await view(level, blocks)).toEqual(await view(memory, blocks));
            // And after a reopen.
            await level.close();
            const again = await LevelStore.open(dir, { sync: false });
            try {
              expect(await view(again, blocks)).toEqual(await view(memory, blocks));
            } finally {
              await again.close();
            }
          } finally {
            await level.close();
            await memory.close();
          }
        },
      ),
      fcParams({ numRuns: 30 }),
    );
  }, 120_000);
});
