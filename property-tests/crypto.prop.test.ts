import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  bytesEqual,
  CborReader,
  IdCache,
  idFromBytes,
  decodeCanonical,
  decodeWithCborg,
  encodeCanonical,
  encodeWithCborg,
  fromHex,
  nobleBackend,
  nodeBackend,
  sha256,
  sha256Pair,
  toHex,
} from '../crypto/index.js';
import { fcParams } from './fc.js';

/** Values in the canonical data model; -0 is left out (it encodes as 0 by design). */
const canonicalValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5 }).map((d) => ({ ...d })),
  ),
})).value;

describe('canonical encoding laws', () => {
  it('round-trips: decode(encode(v)) equals v', () => {
    fc.assert(
      fc.property(canonicalValue, (v) => {
        expect(decodeCanonical(encodeCanonical(v))).toEqual(v);
      }),
      fcParams(),
    );
  });

  it('is unique: equal values give equal bytes, whatever the key insertion order', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), canonicalValue, { maxKeys: 8 }),
        (d) => {
          const reversed = Object.fromEntries(Object.entries(d).reverse());
          expect(bytesEqual(encodeCanonical(d), encodeCanonical(reversed))).toBe(true);
          expect(
            bytesEqual(encodeCanonical(decodeCanonical(encodeCanonical(d))), encodeCanonical(d)),
          ).toBe(true);
        },
      ),
      fcParams(),
    );
  });
});

describe('the fast codec against cborg, the oracle', () => {
  it("encodes every value to exactly cborg's RFC 8949 bytes", () => {
    fc.assert(
      fc.property(canonicalValue, (v) => {
        expect(bytesEqual(encodeCanonical(v), encodeWithCborg(v))).toBe(true);
      }),
      fcParams({ numRuns: 500 }),
    );
  });

  it('accepts a byte string exactly when cborg decodes it and re-encodes it to the same bytes', () => {
    const damaged = fc
      .tuple(canonicalValue, fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([v, at, byte]) => {
        const bytes = new Uint8Array(encodeWithCborg(v));
        bytes[at % bytes.length] = byte;
        return bytes;
      });
    fc.assert(
      fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 20 })), (bytes) => {
        let oracle: boolean;
        try {
          oracle = bytesEqual(encodeWithCborg(decodeWithCborg(bytes)), bytes);
        } catch {
          oracle = false;
        }
        let ours: boolean;
        try {
          decodeCanonical(bytes);
          ours = true;
        } catch (err) {
          expect(err).toMatchObject({ code: 'NON_CANONICAL' });
          ours = false;
        }
        expect(ours).toBe(oracle);
        if (ours) expect(decodeCanonical(bytes)).toEqual(decodeWithCborg(bytes));
      }),
      fcParams({ numRuns: 2000 }),
    );
  });

  it('skips exactly what it decodes: the same verdict, the same end', () => {
    const damaged = fc
      .tuple(canonicalValue, fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([v, at, byte]) => {
        const bytes = new Uint8Array(encodeCanonical(v));
        bytes[at % bytes.length] = byte;
        return bytes;
      });
    const verdict = (read: (r: CborReader) => void, bytes: Uint8Array) => {
      const r = new CborReader(bytes);
      try {
        read(r);
        return r.pos;
      } catch (err) {
        expect(err).toMatchObject({ code: 'NON_CANONICAL' });
        return 'refused';
      }
    };
    fc.assert(
      fc.property(
        fc.oneof(
          canonicalValue.map((v) => encodeCanonical(v)),
          damaged,
        ),
        (bytes) => {
          expect(verdict((r) => r.skip(), bytes)).toBe(verdict((r) => r.value(), bytes));
        },
      ),
      fcParams({ numRuns: 2000 }),
    );
  });
});

describe('the id cache', () => {
  it('gives the hex of any id, whatever the ids before it collided with', () => {
    // Ids that differ from one another in one byte only, anywhere: a small cache
    // sees them collide in its slots, and a comparison that skipped a byte would show.
    const base = Uint8Array.from({ length: 32 }, (_, i) => (i * 37) & 0xff);
    const id = fc
      .tuple(fc.oneof(fc.constantFrom(0, 3, 30, 31), fc.nat({ max: 31 })), fc.nat({ max: 2 }))
      .map(([at, byte]) => base.map((b, i) => (i === at ? byte : b)));
    fc.assert(
      fc.property(fc.array(fc.tuple(id, fc.nat({ max: 3 })), { maxLength: 60 }), (ids) => {
        const cache = new IdCache(ids.length % 2 === 0 ? 1 : 4);
        for (const [bytes, pad] of ids) {
          const at = new Uint8Array(pad + 32);
          at.set(bytes, pad);
          expect(cache.id(at, pad)).toBe(idFromBytes(bytes));
        }
      }),
      fcParams(),
    );
  });
});

describe('sha256 backends agree', () => {
  it('sha256 (WebAssembly below 128 bytes, OpenSSL from 128) equals a streaming node:crypto hash, for single inputs and Merkle pairs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (data, a, b) => {
          const ref = (x: Uint8Array) => new Uint8Array(createHash('sha256').update(x).digest());
          expect(bytesEqual(sha256(data), ref(data))).toBe(true);
          expect(bytesEqual(sha256Pair(a, b), ref(new Uint8Array([...a, ...b])))).toBe(true);
        },
      ),
      fcParams(),
    );
  });
});

describe('hex conversions', () => {
  it('toHex equals Buffer hex and fromHex inverts it, for views anywhere in a buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const view = bytes.subarray(start, start + (b % (bytes.length - start + 1)));
        const hex = toHex(view);
        expect(hex).toBe(Buffer.from(view).toString('hex'));
        expect(bytesEqual(fromHex(hex), view)).toBe(true);
      }),
      fcParams(),
    );
  });
});

describe('signature backends agree', () => {
  it('node:crypto and @noble/curves sign identically and verify each other', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (secret, msg) => {
          const pub = nodeBackend.publicKey(secret);
          expect(bytesEqual(pub, nobleBackend.publicKey(secret))).toBe(true);
          const s1 = nodeBackend.sign(secret, msg);
          const s2 = nobleBackend.sign(secret, msg);
          expect(bytesEqual(s1, s2)).toBe(true); // RFC 8032 signatures are deterministic
          expect(nobleBackend.verify(pub, msg, s1)).toBe(true);
          expect(nodeBackend.verify(pub, msg, s2)).toBe(true);
          const tampered = new Uint8Array(msg.length + 1);
          tampered.set(msg);
          expect(nodeBackend.verify(pub, tampered, s1)).toBe(false);
          expect(nobleBackend.verify(pub, tampered, s1)).toBe(false);
        },
      ),
      fcParams({ numRuns: 50 }),
    );
  });
});
