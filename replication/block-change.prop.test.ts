import * as Automerge from '@automerge/automerge';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from '../property-tests/fc.js';
import { putChange } from './block-change.js';

/** Automerge's own change for the same put: a fresh document, `put` and `commit(null, 0)`. */
function automergeChange(actor: string, key: string, bytes: Uint8Array): Uint8Array {
  const handle = Automerge.getBackend(Automerge.init({ actor }));
  try {
    handle.put('_root', key, bytes);
    handle.commit(null, 0);
    return handle.getLastLocalChange()!;
  } finally {
    handle.free();
  }
}

const hex16 = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => Buffer.from(b).toString('hex'));
/** Lengths around the points where a LEB128 length or the value metadata gains a byte. */
const length = fc.oneof(
  fc.integer({ min: 1, max: 300 }),
  fc.constantFrom(7, 8, 127, 128, 1023, 1024, 16383, 16384, 131071, 131072, 300_000),
);

describe('block changes written without Automerge', () => {
  it('are the bytes Automerge writes for the same put, for any actor, seq and length', () => {
    fc.assert(
      fc.property(hex16, fc.nat({ max: 2 ** 40 }), length, fc.nat(255), (actor, seq, n, fill) => {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (fill + i * 31) & 255);
        const ours = putChange(actor, String(seq), bytes);
        expect(Buffer.from(ours)).toEqual(Buffer.from(automergeChange(actor, String(seq), bytes)));
      }),
      fcParams({ numRuns: 60 }),
    );
  });
});
