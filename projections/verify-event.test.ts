import { describe, expect, it } from 'vitest';
import type { SignedBlock } from '../ledger/index.js';
import { PART_EVENTS } from '../ledger/level-block-frame.js';
import { key, logKey, Table } from '../ledger/level-layout.js';
import { LevelStore } from '../ledger/level-store.js';
import { MemoryStore } from '../ledger/memory-store.js';
import { editLevel, tempDirs, twoBlockStore } from '../ledger/__fixtures__/level-dirs.js';
import {
  alice,
  evaluationDraft,
  mutationDraft,
  realmA,
} from '../ledger/__fixtures__/sample-blocks.js';
import {
  chainRun,
  authorWriter,
  syntheticLedger,
} from '../property-tests/projections-synthetic.js';
import { lineage } from './lineage.js';
import { EventVerifier } from './verify-event.js';

const tempDir = tempDirs('verify-event');

/** A level store (closed) holding a block of one event, then one of three parts. */
const filled = async () =>
  twoBlockStore(await tempDir(), (n) =>
    Array.from({ length: n }, (_, i) =>
      i % 2 === 0 ? mutationDraft(i, i + 1) : evaluationDraft(i),
    ),
  );

/** Flips one byte of the head of the block at log position 1 (`big`), at `at(head)`. */
const damageHead = (dir: string, at: (head: Buffer) => number) =>
  editLevel(dir, async (db) => {
    const value = await db.get(logKey(1, 0));
    if (value === undefined) throw new Error('no head at position 1');
    const head = Buffer.from(value);
    head[at(head)]! ^= 1;
    await db.put(logKey(1, 0), head);
  });

async function verdicts(dir: string, block: SignedBlock, indexes: number[]) {
  const store = await LevelStore.open(dir);
  try {
    const verifier = new EventVerifier(store);
    const out: (string | null)[] = [];
    for (const i of indexes) {
      const event = await store.getEvent(block.eventIds[i]!);
      if (event === undefined) throw new Error(`no event ${i}`);
      out.push((await verifier.verify(event)).code);
    }
    return out;
  } finally {
    await store.close();
  }
}

describe('EventVerifier on the level store (proofs from a head and one part)', () => {
  it('checks every event of a sound store', async () => {
    const { dir, small, big } = await filled();
    expect(await verdicts(dir, small, [0])).toEqual([null]);
    const all = big.eventIds.map((_, i) => i);
    expect(await verdicts(dir, big, all)).toEqual(all.map(() => null));
  });

  it('reports a damaged signature, a damaged part root and a broken chain with their codes', async () => {
    const signature = await filled();
    await damageHead(signature.dir, (head) =>
      head.lastIndexOf(Buffer.from(signature.big.signature)),
    );
    expect(await verdicts(signature.dir, signature.big, [40, 0])).toEqual([
      'INVALID_SIGNATURE',
      'INVALID_SIGNATURE',
    ]);

    // The root of the third part: the events of the other parts no longer prove.
    const root = await filled();
    const headFixed = 32 * 3 + 8 + 4 + 2;
    await damageHead(root.dir, () => headFixed + 2 * 32 + 5);
    expect(await verdicts(root.dir, root.big, [0])).toEqual(['BAD_ROOT']);
    // An event of the third part proves without that root; a further one of another part does not.
    expect(await verdicts(root.dir, root.big, [2 * PART_EVENTS + 1, PART_EVENTS + 3])).toEqual([
      null,
      'BAD_ROOT',
    ]);

    const gap = await filled();
    await editLevel(gap.dir, (db) => db.del(key(Table.chains, [realmA, alice.publicKey], [0])));
    expect(await verdicts(gap.dir, gap.big, [3])).toEqual(['CHAIN_GAP']);
  });

  it('gives a verified lineage on the level store equal to one on a memory store', async () => {
    const { ledger, store, realm } = await syntheticLedger();
    const w = await authorWriter(ledger, realm, 'chain', 50);
    const { genotypes } = chainRun(w, { seed: 9, generations: 80 });
    await w.flush();
    const level = await LevelStore.open(await tempDir(), { sync: false });
    try {
      const blocks: SignedBlock[] = [];
      for await (const b of store.blocks()) blocks.push(b);
      await level.append(blocks);
      const last = genotypes[genotypes.length - 1]!;
      const onLevel = await lineage(level, last);
      expect(onLevel.intact).toBe(true);
      expect(onLevel.steps).toHaveLength(81);
      expect(onLevel).toEqual(await lineage(store, last));
      expect(store).toBeInstanceOf(MemoryStore);
    } finally {
      await level.close();
    }
  });
});
