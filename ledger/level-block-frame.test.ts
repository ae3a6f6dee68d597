import { describe, expect, it } from 'vitest';
import { BlockFrame, frameBlock } from './level-block-frame.js';
import {
  alice,
  ChainBuilder,
  evaluationDraft,
  genotype,
  mutationDraft,
  realmA,
  runId,
  unknownKindRecord,
} from './__fixtures__/sample-blocks.js';

const plain = (b: Uint8Array) => new Uint8Array(b);

describe('block frame', () => {
  const chain = new ChainBuilder(alice, realmA);
  chain.next([evaluationDraft(0)]);
  // Records of several CBOR head sizes: tiny, < 256 and ≥ 256 bytes.
  const big = new Uint8Array(300).fill(7);
  const block = chain.next([
    mutationDraft(1, 2),
    evaluationDraft(2),
    unknownKindRecord(),
    {
      kind: 'seed',
      deps: [],
      body: { run: runId, genotype: genotype(9), network: { weights: big } },
    },
  ]);

  it('locates every record and id without decoding the block', () => {
    const frame = new BlockFrame(frameBlock(block));
    expect([frame.id, frame.realm, frame.author, frame.first, frame.count]).toEqual([
      block.id,
      block.header.realm,
      block.header.author,
      block.header.first,
      block.records.length,
    ]);
    block.records.forEach((record, i) => {
      expect(plain(frame.record(i))).toEqual(plain(record));
      expect(frame.eventId(i)).toBe(block.eventIds[i]);
    });
    expect(plain(frame.bytes)).toEqual(plain(block.bytes));
    expect(frame.block.id).toBe(block.id);
  });

  it('falls back to decoding the block when records are not where expected', () => {
    const odd = { ...block, records: block.records.map((r) => plain(r).reverse()) };
    const frame = new BlockFrame(frameBlock(odd));
    // The directory has no offsets: records come from decoding the stored bytes.
    block.records.forEach((record, i) => expect(plain(frame.record(i))).toEqual(plain(record)));
  });
});
