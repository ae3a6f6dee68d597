/**
 * A fast codec for canonical CBOR over evoledger's data model (null, booleans,
 * finite numbers, strings, byte strings, arrays, plain objects).
 *
 * Why not cborg alone: measured on the project machines, cborg encodes a
 * 200-byte event at ~50k/s with the strict options we need, and checking
 * canonical form on decode means re-encoding. The ledger's goal is 200k
 * events/s appended and verified. This codec is a specialisation, not a new
 * format: it produces exactly cborg's RFC 8949 deterministic bytes, and a
 * property test (`property-tests/crypto.prop.test.ts`) holds it to cborg as
 * the oracle on random values, both ways. The decoder (`cbor-reader.ts`)
 * checks canonical form in the same pass (shortest heads, sorted unique
 * keys, shortest floats), so verifying never re-encodes.
 */
import { CryptoError } from './errors.js';

// ---------------------------------------------------------------- encoder

let buf = new Uint8Array(4096);
let view = new DataView(buf.buffer);
let bufView = Buffer.from(buf.buffer);
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, pos));
  buf = next;
  view = new DataView(buf.buffer);
  bufView = Buffer.from(buf.buffer);
}

function head(major: number, n: number): void {
  ensure(9);
  const m = major << 5;
  if (n < 24) buf[pos++] = m | n;
  else if (n < 0x100) {
    buf[pos++] = m | 24;
    buf[pos++] = n;
  } else if (n < 0x10000) {
    buf[pos++] = m | 25;
    view.setUint16(pos, n);
    pos += 2;
  } else if (n < 0x100000000) {
    buf[pos++] = m | 26;
    view.setUint32(pos, n);
    pos += 4;
  } else {
    buf[pos++] = m | 27;
    view.setUint32(pos, Math.floor(n / 0x100000000));
    view.setUint32(pos + 4, n >>> 0);
    pos += 8;
  }
}

// cborg's float16 conversion, reproduced so that "shortest float" means the
// same thing here as in the oracle (including its choice for subnormals).
const f16View = new DataView(new ArrayBuffer(4));
function toHalfBits(x: number): number {
  f16View.setFloat32(0, x);
  const u = f16View.getUint32(0);
  const exponent = (u & 0x7f800000) >> 23;
  const mantissa = u & 0x7fffff;
  const sign = (u & 0x80000000) >>> 16;
  if (exponent === 0xff) return 0x7c00;
  if (exponent === 0) return sign | (mantissa >> 13);
  const e = exponent - 127;
  if (e < -24) return 0;
  if (e < -14) return sign | (1 << (24 + e));
  return sign | ((e + 15) << 10) | (mantissa >> 13);
}

/** The value of float16 bits (also used by the decoder, `cbor-reader.ts`). */
export function fromHalfBits(half: number): number {
  const exp = (half >> 10) & 0x1f;
  const mant = half & 0x3ff;
  let val: number;
  if (exp === 0) val = mant * 2 ** -24;
  else if (exp !== 31) val = (mant + 1024) * 2 ** (exp - 25);
  else val = mant === 0 ? Infinity : NaN;
  return half & 0x8000 ? -val : val;
}

/** Width in bytes (2, 4 or 8) of the shortest float that keeps `x` exactly. */
export function floatWidth(x: number): 2 | 4 | 8 {
  if (fromHalfBits(toHalfBits(x)) === x) return 2;
  if (Math.fround(x) === x) return 4;
  return 8;
}

function encodeNumber(n: number): void {
  if (Number.isSafeInteger(n)) {
    if (n >= 0) head(0, n);
    else head(1, -1 - n);
    return;
  }
  if (!Number.isFinite(n)) {
    throw new CryptoError('UNENCODABLE', `${String(n)} has no canonical encoding`);
  }
  ensure(9);
  const w = floatWidth(n);
  if (w === 2) {
    buf[pos++] = 0xf9;
    view.setUint16(pos, toHalfBits(n));
  } else if (w === 4) {
    buf[pos++] = 0xfa;
    view.setFloat32(pos, n);
  } else {
    buf[pos++] = 0xfb;
    view.setFloat64(pos, n);
  }
  pos += w;
}

const textEncoder = new TextEncoder();

function encodeString(s: string): void {
  const len = s.length;
  // ASCII fast path: one byte per char, head size known.
  let ascii = len < 0x10000;
  for (let i = 0; ascii && i < len; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
  if (ascii) {
    head(3, len);
    ensure(len);
    for (let i = 0; i < len; i++) buf[pos++] = s.charCodeAt(i);
    return;
  }
  const bytes = textEncoder.encode(s);
  head(3, bytes.length);
  ensure(bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function compareEncodedKeys(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  const ea = textEncoder.encode(a);
  const eb = textEncoder.encode(b);
  // The encoded key is head(len) ‖ utf8; heads grow with length, so a shorter
  // key always sorts first, and equal lengths compare bytewise.
  if (ea.length !== eb.length) return ea.length - eb.length;
  for (let i = 0; i < ea.length; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return 0;
}

/** True when ASCII keys `a` then `b` are in canonical order (false for anything else). */
function asciiOrdered(a: string, b: string): boolean {
  if (a.length !== b.length) {
    if (a.length > b.length) return false;
  } else if (a >= b) return false; // same length: code-unit order equals byte order for ASCII
  return isAscii(a) && isAscii(b);
}

/**
 * Keys in canonical order (RFC 8949: bytewise order of the encoded keys).
 * Objects built in that order (as the event kinds do) are checked in one
 * pass and not sorted.
 */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) {
    if (!asciiOrdered(keys[i - 1]!, keys[i]!)) return keys.sort(compareEncodedKeys);
  }
  return keys;
}

function encodeValue(v: unknown, depth: number): void {
  if (depth > 64) throw new CryptoError('UNENCODABLE', 'value nests deeper than 64 levels');
  switch (typeof v) {
    case 'number':
      return encodeNumber(v);
    case 'string':
      return encodeString(v);
    case 'boolean':
      ensure(1);
      buf[pos++] = v ? 0xf5 : 0xf4;
      return;
    case 'object': {
      if (v === null) {
        ensure(1);
        buf[pos++] = 0xf6;
        return;
      }
      if (v instanceof Uint8Array) {
        head(2, v.length);
        ensure(v.length);
        buf.set(v, pos);
        pos += v.length;
        return;
      }
      if (Array.isArray(v)) {
        head(4, v.length);
        for (const item of v) encodeValue(item, depth + 1);
        return;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new CryptoError(
          'UNENCODABLE',
          `${v.constructor?.name ?? 'object'} has no canonical encoding`,
        );
      }
      const keys = sortedKeys(v);
      head(5, keys.length);
      for (const k of keys) {
        const item = (v as Record<string, unknown>)[k];
        if (item === undefined)
          throw new CryptoError(
            'UNENCODABLE',
            `undefined (at key "${k}") has no canonical encoding; use null or omit it`,
          );
        encodeString(k);
        encodeValue(item, depth + 1);
      }
      return;
    }
    default:
      throw new CryptoError('UNENCODABLE', `${typeof v} has no canonical encoding`);
  }
}

/** Canonical CBOR bytes of `value`; throws `UNENCODABLE` outside the data model. */
export function encodeCbor(value: unknown): Uint8Array {
  pos = 0;
  try {
    encodeValue(value, 0);
  } catch (err) {
    pos = 0;
    throw err;
  }
  return buf.slice(0, pos);
}

/**
 * Canonical CBOR written piece by piece, for encoders that know their value's
 * shape (an event kind's body, a record): no intermediate objects, ids
 * written straight from hex. The caller writes map keys in canonical order
 * (shorter first, then bytewise) and as many entries as it announced; a
 * property test holds every such writer to {@link encodeCbor}. It shares
 * the encoder's buffer: nothing else may encode between `start` and `end`.
 */
export const cborWriter = {
  start(): void {
    pos = 0;
  },
  map(entries: number): void {
    head(5, entries);
  },
  array(items: number): void {
    head(4, items);
  },
  text(s: string): void {
    if (typeof s !== 'string') unencodable('a text string', s);
    encodeString(s);
  },
  number(n: number): void {
    if (typeof n !== 'number') unencodable('a number', n);
    encodeNumber(n);
  },
  bool(b: boolean): void {
    if (typeof b !== 'boolean') unencodable('a boolean', b);
    ensure(1);
    buf[pos++] = b ? 0xf5 : 0xf4;
  },
  null(): void {
    ensure(1);
    buf[pos++] = 0xf6;
  },
  /** A byte string of `length` bytes given as lower-case hex. */
  hexBytes(hex: string, length: number): void {
    if (typeof hex !== 'string' || hex.length !== length * 2)
      unencodable(`${length} hex bytes`, hex);
    head(2, length);
    ensure(length);
    if (bufView.write(hex, pos, length, 'hex') !== length) unencodable('hex', hex);
    pos += length;
  },
  /** Any value of the data model, encoded as {@link encodeCbor} would. */
  value(v: unknown): void {
    encodeValue(v, 1);
  },
  /** The bytes written since `start`. */
  end(): Uint8Array {
    return buf.slice(0, pos);
  },
};

/** The piecewise canonical writer ({@link cborWriter}). */
export type CborWriter = typeof cborWriter;

function unencodable(expected: string, got: unknown): never {
  pos = 0;
  throw new CryptoError('UNENCODABLE', `expected ${expected}, got ${typeof got}`);
}
