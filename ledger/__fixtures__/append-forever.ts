/**
 * Child process of `level-store.int.test.ts`: appends blocks to the level
 * store in `argv[2]` until killed, printing each block id on stdout once the
 * append that holds it has resolved (an acknowledgement). It continues the
 * chain from whatever head the store already has.
 */
import { LevelStore } from '../level-store.js';
import { alice, ChainBuilder, evaluationDraft, mutationDraft, realmA } from './sample-blocks.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: append-forever.ts DIR');

const store = await LevelStore.open(dir);
const head = await store.head(realmA, alice.publicKey);
const chain = new ChainBuilder(alice, realmA, head);
let g = (head?.nextEvent ?? 0) * 2;
for (let round = 0; ; round++) {
  // One or two blocks per append: a two-block append must land whole or not at all.
  const blocks = Array.from({ length: 1 + (round % 2) }, () =>
    chain.next(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? mutationDraft(g, ++g) : evaluationDraft(g, i / 50),
      ),
    ),
  );
  await store.append(blocks);
  process.stdout.write(blocks.map((b) => b.id + '\n').join(''));
}
