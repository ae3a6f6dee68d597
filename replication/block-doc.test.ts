import * as Automerge from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import type { SignedBlock } from '../ledger/index.js';
import {
  blockChange,
  buildBlockDoc,
  buildSessionDoc,
  docEntries,
  loadSessionDoc,
} from './block-doc.js';
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

  it('for a session hold the same document, and patch only what a peer adds', async () => {
    const blocks = await someBlocks(6);
    const full = buildBlockDoc(blocks.slice(0, 5));
    const saved = Automerge.save(full);
    for (const doc of [buildSessionDoc(blocks.slice(0, 5)), loadSessionDoc(saved)]) {
      expect(Automerge.getHeads(doc)).toEqual(Automerge.getHeads(full));
      expect(Automerge.save(doc)).toEqual(saved);
      // A peer holding one more block: the patches of its message are that block, nothing before.
      let peer = buildBlockDoc(blocks);
      let [ours, ourSync] = [doc, Automerge.initSyncState()];
      let theirSync = Automerge.initSyncState();
      const patched: string[] = [];
      for (let i = 0; i < 4; i++) {
        const [s1, toPeer] = Automerge.generateSyncMessage(ours, ourSync);
        ourSync = s1;
        if (toPeer !== null)
          [peer, theirSync] = Automerge.receiveSyncMessage(peer, theirSync, toPeer);
        const [s2, toUs] = Automerge.generateSyncMessage(peer, theirSync);
        theirSync = s2;
        if (toUs === null) continue;
        [ours, ourSync] = Automerge.receiveSyncMessage(ours, ourSync, toUs, {
          patchCallback: (patches) => patched.push(...patches.map((p) => String(p.path[0]))),
        });
      }
      expect(patched).toEqual(['5']);
      expect(Automerge.getHeads(ours).sort()).toEqual(Automerge.getHeads(peer).sort());
      Automerge.free(ours);
      Automerge.free(peer);
    }
    expect(() => loadSessionDoc(new Uint8Array([1, 2, 3]))).toThrow();
  });
});
