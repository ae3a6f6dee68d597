import * as Automerge from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import type { PublicKey } from '../crypto/index.js';
import type { BlockDoc } from './block-doc.js';
import { docKey } from './doc-key.js';
import type { ReplicationError } from './errors.js';
import { patchedBlocks } from './patched-blocks.js';

const key = docKey('ab'.repeat(32) as PublicKey, 0);

/** A peer document written by `actor`, and the patches applying it to `into` makes. */
function received(into: BlockDoc, actor: string, write: (d: Record<string, unknown>) => void) {
  const theirs = Automerge.change(Automerge.init<Record<string, unknown>>({ actor }), write);
  let patches: Automerge.Patch[] = [];
  const [doc] = Automerge.applyChanges(into, Automerge.getAllChanges(theirs), {
    patchCallback: (made) => (patches = made),
  });
  return { doc, patches };
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as ReplicationError).code;
  }
  return 'none';
};

describe('blocks read from the patches of a peer message', () => {
  it('are the new values at their seqs, every value of a forked key listed', () => {
    const one = received(Automerge.init(), 'aa', (d) => {
      d['2'] = new Uint8Array([1]);
      d['3'] = new Uint8Array([2]);
    });
    expect(patchedBlocks(key, one.doc, 0, one.patches)).toEqual([
      { seq: 2, bytes: new Uint8Array([1]), conflict: false },
      { seq: 3, bytes: new Uint8Array([2]), conflict: false },
    ]);
    const fork = received(one.doc, 'bb', (d) => (d['2'] = new Uint8Array([9])));
    const values = patchedBlocks(key, fork.doc, 0, fork.patches);
    expect(values.map((v) => [v.seq, v.conflict])).toEqual([
      [2, true],
      [2, true],
    ]);
    expect(values.map((v) => v.bytes[0]).sort()).toEqual([1, 9]);
  });

  it('refuse a key outside the bucket, a key that is not a seq and a value that is not bytes', () => {
    for (const write of [
      (d: Record<string, unknown>) => (d['8'] = new Uint8Array([1])),
      (d: Record<string, unknown>) => (d['01'] = new Uint8Array([1])),
      (d: Record<string, unknown>) => (d['1'] = 'text'),
      (d: Record<string, unknown>) => (d['1'] = { nested: 1 }),
    ]) {
      const { doc, patches } = received(Automerge.init(), 'cc', write);
      expect(code(() => patchedBlocks(key, doc, 0, patches))).toBe('PROTOCOL_VIOLATION');
    }
  });
});
