import { describe, expect, it } from 'vitest';
import type { BlockId, PublicKey } from '../crypto/index.js';
import { docKey } from './doc-key.js';
import { BLOCKS_PER_DOC } from './limits.js';
import { docsToSync } from './manifest.js';

const author = (n: number) => n.toString(16).padStart(64, '0') as PublicKey;
const block = (n: number) => `b${n}`.padEnd(64, '0') as BlockId;
const none = () => Promise.resolve(undefined);

describe('docsToSync', () => {
  it('finds nothing when chain heads agree', async () => {
    const m = [{ author: author(1), seq: 20, id: block(20) }];
    expect(await docsToSync(m, m, none)).toEqual([]);
  });

  it('names the buckets from the shorter head to the longer one, lowest first', async () => {
    const n = BLOCKS_PER_DOC;
    const ours = [{ author: author(1), seq: n + 1, id: block(1) }];
    const theirs = [
      { author: author(1), seq: 3 * n, id: block(2) },
      { author: author(2), seq: 0, id: block(3) },
    ];
    const held = (_a: PublicKey, _s: number) => Promise.resolve(block(1));
    expect(await docsToSync(ours, theirs, held)).toEqual([
      docKey(author(2), 0),
      docKey(author(1), 1),
      docKey(author(1), 2),
      docKey(author(1), 3),
    ]);
  });

  it('syncs a forked chain from its start', async () => {
    const ours = [{ author: author(1), seq: 2 * BLOCKS_PER_DOC, id: block(1) }];
    const theirs = [{ author: author(1), seq: BLOCKS_PER_DOC, id: block(9) }];
    // We hold another block where the peer's head is: the author signed two.
    const keys = await docsToSync(ours, theirs, () => Promise.resolve(block(8)));
    expect(keys).toEqual([0, 1, 2].map((b) => docKey(author(1), b)));
  });
});
