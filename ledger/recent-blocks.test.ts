import { describe, expect, it } from 'vitest';
import { eventIdBytesOfBlock } from './block.js';
import { blockBytesOf } from './block-bytes.js';
import { sampleWorld } from './__fixtures__/sample-world.js';
import { RecentBlocks } from './recent-blocks.js';

const ids = (blocks: { id: string }[] | undefined) => blocks?.map((b) => b.id);

describe('RecentBlocks', () => {
  it('hands out the blocks from a position to the end, as the store holds their bytes', () => {
    const { blocks } = sampleWorld();
    const recent = new RecentBlocks(10);
    expect(recent.from(10)).toEqual([]);
    expect(recent.from(9)).toBeUndefined();
    recent.add(10, blocks.slice(0, 2));
    recent.add(12, blocks.slice(2));
    expect(recent.from(10)).toEqual(blocks.map((b) => blockBytesOf(b)));
    expect(ids(recent.from(13))).toEqual(ids(blocks.slice(3)));
    expect(recent.from(10 + blocks.length)).toEqual([]);
    expect(recent.from(9)).toBeUndefined();
  });

  it('keeps the newest blocks within its bounds on their number and bytes', () => {
    const { blocks } = sampleWorld();
    const byCount = new RecentBlocks(0, Infinity, 2);
    byCount.add(0, blocks);
    expect(byCount.from(blocks.length - 3)).toBeUndefined();
    expect(ids(byCount.from(blocks.length - 2))).toEqual(ids(blocks.slice(-2)));

    // What a block holds: the whole buffers its bytes and raw ids are views into.
    const held = (n: number) =>
      blocks
        .slice(-n)
        .reduce(
          (s, b) => s + b.bytes.buffer.byteLength + eventIdBytesOfBlock(b).buffer.byteLength,
          0,
        );
    const byBytes = new RecentBlocks(0, held(3));
    byBytes.add(0, blocks);
    expect(byBytes.from(blocks.length - 4)).toBeUndefined();
    expect(ids(byBytes.from(blocks.length - 3))).toEqual(ids(blocks.slice(-3)));
    const none = new RecentBlocks(0, 0);
    none.add(0, blocks);
    expect(none.from(blocks.length)).toEqual([]);
    expect(none.from(blocks.length - 1)).toBeUndefined();
  });

  it('starts over at a position that does not follow its last block', () => {
    const { blocks } = sampleWorld();
    const recent = new RecentBlocks(0);
    recent.add(0, blocks.slice(0, 2));
    recent.add(5, blocks.slice(2, 3));
    expect(recent.from(4)).toBeUndefined();
    expect(ids(recent.from(5))).toEqual([blocks[2]!.id]);
  });

  it('gives a list that later additions leave as it was', () => {
    const { blocks } = sampleWorld();
    const recent = new RecentBlocks(0);
    recent.add(0, blocks.slice(0, 1));
    const before = recent.from(0)!;
    recent.add(1, blocks.slice(1));
    expect(ids(before)).toEqual([blocks[0]!.id]);
  });
});
