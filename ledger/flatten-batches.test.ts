import { describe, expect, it } from 'vitest';
import { flattenBatches } from './flatten-batches.js';

describe('flattenBatches', () => {
  it('yields every item in order, skipping empty batches', async () => {
    async function* batches() {
      await Promise.resolve();
      yield [1, 2];
      yield [];
      yield [3];
      yield [];
    }
    const out: number[] = [];
    for await (const x of flattenBatches(() => batches()[Symbol.asyncIterator]())) out.push(x);
    expect(out).toEqual([1, 2, 3]);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* batches() {
      await Promise.resolve();
      try {
        yield [1, 2, 3];
        yield [4];
      } finally {
        closed = true;
      }
    }
    for await (const x of flattenBatches(() => batches()[Symbol.asyncIterator]())) {
      if (x === 2) break;
    }
    expect(closed).toBe(true);
  });
});
