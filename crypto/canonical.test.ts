import { describe, expect, it } from 'vitest';
import { CryptoError } from './errors.js';
import { decodeCanonical, encodeCanonical } from './canonical.js';

describe('canonical encoding', () => {
  it('gives the same bytes whatever the key order', () => {
    const a = encodeCanonical({ b: 1, a: [1, 2], c: { y: 2, x: 1 } });
    const b = encodeCanonical({ c: { x: 1, y: 2 }, a: [1, 2], b: 1 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('refuses values with no canonical form', () => {
    for (const bad of [
      { a: undefined },
      { a: Number.NaN },
      { a: Infinity },
      { a: 1n },
      new Map(),
    ]) {
      expect(() => encodeCanonical(bad)).toThrowError(
        expect.objectContaining({ code: 'UNENCODABLE' }),
      );
    }
  });

  it('refuses a non-canonical encoding of a valid value', () => {
    // {"b": 1, "a": 2} with keys out of canonical order.
    const unsorted = Uint8Array.from([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02]);
    expect(() => decodeCanonical(unsorted)).toThrow(CryptoError);
    // 1 encoded on two bytes instead of one.
    const wide = Uint8Array.from([0x18, 0x01]);
    expect(() => decodeCanonical(wide)).toThrowError(
      expect.objectContaining({ code: 'NON_CANONICAL' }),
    );
    // a float64 that fits a float16.
    const wideFloat = Uint8Array.from([0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    expect(() => decodeCanonical(wideFloat)).toThrowError(
      expect.objectContaining({ code: 'NON_CANONICAL' }),
    );
  });

  it('round-trips bytes, floats and nesting', () => {
    const value = {
      bytes: Uint8Array.of(1, 2, 3),
      f: 0.1,
      n: -7,
      s: 'é',
      list: [null, true, { z: [] }],
    };
    expect(decodeCanonical(encodeCanonical(value))).toEqual(value);
  });
});
