import * as Automerge from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import type { SignedBlock } from '../ledger/index.js';
import { blockChange, buildBlockDoc, docEntries } from './block-doc.js';
import { syntheticChain } from './test-kit.js';

async function someBlocks(n: number): Promise<SignedBlock[]> {
  return (await syntheticChain(n, 3)).blocks.slice(0, n);
}

describe('block documents', () => {
  it('are pure functions of their blocks: same blocks, same bytes and heads, any order', async () => {
    const blocks = await someBlocks(5);
    expect(blockChange(blocks[2]!)).toEqual(blockChange(blocks[2]!));
    const a = buildBlockDoc(blocks);
    const b = buildBlockDoc([...blocks].reverse());
    expect(Automerge.getHeads(a).sort()).toEqual(Automerge.getHeads(b).sort());
    expect(
      docEntries(a, 0)
        .entries.map((e) => e.seq)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
    expect(docEntries(a, 0).entries.find((e) => e.seq === 3)!.bytes).toEqual(blocks[3]!.bytes);
  });

  it('are the changes Automerge.change writes, byte for byte (documents of older nodes match)', async () => {
    for (const block of await someBlocks(3)) {
      const doc = Automerge.change(
        Automerge.init<Record<string, Uint8Array>>({ actor: block.id.slice(0, 32) }),
        { time: 0 },
        (d) => {
          d[String(block.header.seq)] = block.bytes;
        },
      );
      expect(blockChange(block)).toEqual(Automerge.getLastLocalChange(doc));
      Automerge.free(doc);
    }
  });
});
