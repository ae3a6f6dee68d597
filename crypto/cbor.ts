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
 * the oracle on random values, both ways. The decoder checks canonical form
 * in the same pass (shortest heads, sorted unique keys, shortest floats), so
 * verifying never re-encodes.
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

function fromHalfBits(half: number): number {
  const exp = (half >> 10) & 0x1f;
  const mant = half & 0x3ff;
  let val: number;
  if (exp === 0) val = mant * 2 ** -24;
  else if (exp !== 31) val = (mant + 1024) * 2 ** (exp - 25);
  else val = mant === 0 ? Infinity : NaN;
  return half & 0x8000 ? -val : val;
}

/** Width in bytes (2, 4 or 8) of the shortest float that keeps `x` exactly. */
function floatWidth(x: number): 2 | 4 | 8 {
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

// ---------------------------------------------------------------- decoder

const textDecoder = new TextDecoder('utf-8', { fatal: true });

type Slice = (this: Uint8Array, start: number, end: number) => string;
/** Node's native slices, called on any Uint8Array (no Buffer wrapper per string). */
const nativeHex = (Buffer.prototype as unknown as { hexSlice: Slice }).hexSlice;
const nativeLatin1 = (Buffer.prototype as unknown as { latin1Slice: Slice }).latin1Slice;

/** Scratch for reading floats without a DataView per input. */
const floatView = new DataView(new ArrayBuffer(8));

function bad(message: string): never {
  throw new CryptoError('NON_CANONICAL', message);
}

/**
 * Thrown by {@link CborReader}'s expecting reads when the next item is valid
 * CBOR of another shape than the caller expects. It says nothing about the
 * input's validity: the caller falls back to {@link decodeCbor}, which
 * decides. One instance, never reaching users.
 */
export class UnexpectedShape extends Error {
  override readonly name = 'UnexpectedShape';
}
const unexpected = new UnexpectedShape('CBOR item of another shape than expected');

/** Throws {@link UnexpectedShape}: for decoders that find a layout they do not handle. */
export function unexpectedShape(): never {
  throw unexpected;
}

function compareRange(a: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const la = ae - as;
  const lb = be - bs;
  const n = Math.min(la, lb);
  for (let i = 0; i < n; i++) {
    const d = a[as + i]! - a[bs + i]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/**
 * Canonical CBOR read piece by piece: the decoding mirror of `cborWriter`.
 * {@link value} reads any item (what {@link decodeCbor} does); the other
 * reads expect a shape (a map of n entries, a given key, a number, a
 * 32-byte id) and throw {@link UnexpectedShape} when the input holds
 * something else, so that decoders that know their value's layout (an event
 * kind's body) build it directly, with no intermediate objects. Every read
 * checks canonical form as {@link decodeCbor} does (shortest heads and
 * floats, valid UTF-8, no tags, indefinite lengths, NaN or infinities);
 * reading keys by name in canonical order checks their order. After an
 * {@link UnexpectedShape} the reader's position is unspecified.
 */
export class CborReader {
  /** Offset of the next item. */
  pos = 0;
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  #need(n: number): void {
    if (this.pos + n > this.bytes.length) bad('truncated CBOR');
  }

  /** Reads an item's argument and checks it uses the shortest head. */
  #arg(info: number): number {
    if (info < 24) return info;
    const b = this.bytes;
    const p = this.pos;
    let n: number;
    if (info === 24) {
      this.#need(1);
      n = b[p]!;
      this.pos = p + 1;
      if (n < 24) bad('integer or length not in its shortest form');
    } else if (info === 25) {
      this.#need(2);
      n = (b[p]! << 8) | b[p + 1]!;
      this.pos = p + 2;
      if (n < 0x100) bad('integer or length not in its shortest form');
    } else if (info === 26) {
      this.#need(4);
      n = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      this.pos = p + 4;
      if (n < 0x10000) bad('integer or length not in its shortest form');
    } else if (info === 27) {
      this.#need(8);
      const hi = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      const lo = b[p + 4]! * 0x1000000 + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!);
      this.pos = p + 8;
      if (hi === 0) bad('integer or length not in its shortest form');
      if (hi > 0x1fffff) bad('integer beyond the safe range');
      n = hi * 0x100000000 + lo;
    } else {
      bad(info === 31 ? 'indefinite lengths are not canonical' : 'reserved additional information');
    }
    return n;
  }

  /** Reads the head of an item of major type `major` and returns its argument. */
  #head(major: number): number {
    this.#need(1);
    const initial = this.bytes[this.pos]!;
    if (initial >> 5 !== major) throw unexpected;
    this.pos++;
    return this.#arg(initial & 0x1f);
  }

  #string(len: number): string {
    this.#need(len);
    const { bytes } = this;
    const start = this.pos;
    const end = start + len;
    this.pos = end;
    for (let i = start; i < end; i++) {
      if (bytes[i]! > 0x7f) {
        try {
          return textDecoder.decode(bytes.subarray(start, end));
        } catch {
          return bad('text string is not valid UTF-8');
        }
      }
    }
    if (len === 0) return '';
    if (len < 8) {
      let s = String.fromCharCode(bytes[start]!);
      for (let i = start + 1; i < end; i++) s += String.fromCharCode(bytes[i]!);
      return s;
    }
    return nativeLatin1.call(bytes, start, end);
  }

  /** Reads a float of `width` bytes and checks it is canonical. */
  #float(width: 2 | 4 | 8): number {
    this.#need(width);
    const { bytes } = this;
    const p = this.pos;
    let x: number;
    if (width === 2) x = fromHalfBits((bytes[p]! << 8) | bytes[p + 1]!);
    else {
      for (let i = 0; i < width; i++) floatView.setUint8(i, bytes[p + i]!);
      x = width === 4 ? floatView.getFloat32(0) : floatView.getFloat64(0);
    }
    this.pos = p + width;
    if (!Number.isFinite(x)) bad('NaN and infinities are not canonical');
    if (Number.isSafeInteger(x)) bad('an integral number must be encoded as an integer');
    if (floatWidth(x) !== width) bad('float not in its shortest exact form');
    return x;
  }

  /** A map's head: its number of entries (which must be `entries` when given). */
  map(entries?: number): number {
    const len = this.#head(5);
    if (len > this.bytes.length - this.pos) bad('map longer than the input');
    if (entries !== undefined && len !== entries) throw unexpected;
    return len;
  }

  /** An array's head: its number of items. */
  array(): number {
    const len = this.#head(4);
    if (len > this.bytes.length - this.pos) bad('array longer than the input');
    return len;
  }

  /**
   * True, past it, when the next item is the ASCII text `name` (a map key
   * the caller expects); false, not moving, otherwise.
   */
  hasKey(name: string): boolean {
    const { bytes } = this;
    const p = this.pos;
    const len = name.length;
    // Keys of up to 23 bytes have a one-byte head.
    if (len > 23 || p + 1 + len > bytes.length || bytes[p] !== (0x60 | len)) return false;
    for (let i = 0; i < len; i++) if (bytes[p + 1 + i] !== name.charCodeAt(i)) return false;
    this.pos = p + 1 + len;
    return true;
  }

  /** Reads the key `name`; throws {@link UnexpectedShape} if another item comes. */
  key(name: string): void {
    if (!this.hasKey(name)) throw unexpected;
  }

  /** A number (integer or float). */
  number(): number {
    this.#need(1);
    const initial = this.bytes[this.pos]!;
    const major = initial >> 5;
    if (major === 0) return this.uint();
    this.pos++;
    const info = initial & 0x1f;
    if (major === 1) {
      const n = this.#arg(info);
      if (n >= Number.MAX_SAFE_INTEGER) bad('integer beyond the safe range');
      return -1 - n;
    }
    if (major === 7 && info >= 25 && info <= 27)
      return this.#float(info === 25 ? 2 : info === 26 ? 4 : 8);
    throw unexpected;
  }

  /** A non-negative integer. */
  uint(): number {
    const n = this.#head(0);
    if (n > Number.MAX_SAFE_INTEGER) bad('integer beyond the safe range');
    return n;
  }

  /** A text string. */
  text(): string {
    return this.#string(this.#head(3));
  }

  /** A boolean. */
  bool(): boolean {
    this.#need(1);
    const b = this.bytes[this.pos]!;
    if (b !== 0xf4 && b !== 0xf5) throw unexpected;
    this.pos++;
    return b === 0xf5;
  }

  /** True, past it, when the next item is null; false, not moving, otherwise. */
  hasNull(): boolean {
    if (this.bytes[this.pos] !== 0xf6) return false;
    this.pos++;
    return true;
  }

  /** A 32-byte id, as lower-case hex. */
  id<T extends string>(): T {
    const start = this.idAt();
    return nativeHex.call(this.bytes, start, start + 32) as T;
  }

  /** A 32-byte byte string (an id), read without converting: where its bytes start. */
  idAt(): number {
    if (this.#head(2) !== 32) throw unexpected;
    this.#need(32);
    const start = this.pos;
    this.pos = start + 32;
    return start;
  }

  /** A byte string (a view into the input, not a copy). */
  byteString(): Uint8Array {
    const len = this.#head(2);
    this.#need(len);
    const start = this.pos;
    this.pos = start + len;
    return this.bytes.subarray(start, start + len);
  }

  /** Skips one item, checking that it is canonical as {@link value} would, building nothing. */
  skip(depth = 0): void {
    if (depth > 64) bad('value nests deeper than 64 levels');
    this.#need(1);
    const initial = this.bytes[this.pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
      case 1: {
        const n = this.#arg(info);
        if (major === 0 ? n > Number.MAX_SAFE_INTEGER : n >= Number.MAX_SAFE_INTEGER)
          bad('integer beyond the safe range');
        return;
      }
      case 2: {
        const len = this.#arg(info);
        this.#need(len);
        this.pos += len;
        return;
      }
      case 3:
        this.#skipString(this.#arg(info));
        return;
      case 4: {
        const len = this.#arg(info);
        if (len > this.bytes.length - this.pos) bad('array longer than the input');
        for (let i = 0; i < len; i++) this.skip(depth + 1);
        return;
      }
      case 5: {
        const len = this.#arg(info);
        if (len > this.bytes.length - this.pos) bad('map longer than the input');
        let prevStart = -1;
        let prevEnd = -1;
        for (let i = 0; i < len; i++) {
          const start = this.pos;
          this.#key(prevStart, prevEnd, false);
          prevStart = start;
          prevEnd = this.pos;
          this.skip(depth + 1);
        }
        return;
      }
      case 6:
        return bad('tags are not part of the canonical data model');
      default:
        if (info >= 20 && info <= 22) return;
        if (info >= 25 && info <= 27) {
          this.#float(info === 25 ? 2 : info === 26 ? 4 : 8);
          return;
        }
        return bad(`simple value ${info} is not part of the canonical data model`);
    }
  }

  /** Skips a text string of `len` bytes, checking it is UTF-8. */
  #skipString(len: number): void {
    this.#need(len);
    const { bytes } = this;
    const start = this.pos;
    const end = start + len;
    for (let i = start; i < end; i++) {
      if (bytes[i]! > 0x7f) {
        this.pos = start;
        this.#string(len);
        return;
      }
    }
    this.pos = end;
  }

  /**
   * Reads a map key (a text string), checking it comes after the previous
   * one (the bytes from `prevStart` to `prevEnd`, none when -1) in canonical
   * order. Returns the key when `build`, else skips it.
   */
  #key(prevStart: number, prevEnd: number, build: boolean): string | undefined {
    const keyStart = this.pos;
    this.#need(1);
    const initial = this.bytes[this.pos++]!;
    if (initial >> 5 !== 3) bad('map keys must be text strings');
    const len = this.#arg(initial & 0x1f);
    let key: string | undefined;
    if (build) key = this.#string(len);
    else this.#skipString(len);
    if (prevStart >= 0 && compareRange(this.bytes, prevStart, prevEnd, keyStart, this.pos) >= 0) {
      bad('map keys out of canonical order, or repeated');
    }
    return key;
  }

  /** Any item of the data model (byte strings are views into the input, not copies). */
  value(depth = 0): unknown {
    if (depth > 64) bad('value nests deeper than 64 levels');
    this.#need(1);
    const initial = this.bytes[this.pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0: {
        const n = this.#arg(info);
        if (n > Number.MAX_SAFE_INTEGER) bad('integer beyond the safe range');
        return n;
      }
      case 1: {
        const n = this.#arg(info);
        if (n >= Number.MAX_SAFE_INTEGER) bad('integer beyond the safe range');
        return -1 - n;
      }
      case 2: {
        const len = this.#arg(info);
        this.#need(len);
        const out = this.bytes.subarray(this.pos, this.pos + len);
        this.pos += len;
        return out;
      }
      case 3:
        return this.#string(this.#arg(info));
      case 4: {
        const len = this.#arg(info);
        if (len > this.bytes.length - this.pos) bad('array longer than the input');
        const out = new Array<unknown>(len);
        for (let i = 0; i < len; i++) out[i] = this.value(depth + 1);
        return out;
      }
      case 5:
        return this.#object(this.#arg(info), depth);
      case 6:
        return bad('tags are not part of the canonical data model');
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info >= 25 && info <= 27) return this.#float(info === 25 ? 2 : info === 26 ? 4 : 8);
        return bad(`simple value ${info} is not part of the canonical data model`);
      }
    }
  }

  #object(len: number, depth: number): Record<string, unknown> {
    if (len > this.bytes.length - this.pos) bad('map longer than the input');
    const out: Record<string, unknown> = {};
    let prevStart = -1;
    let prevEnd = -1;
    for (let i = 0; i < len; i++) {
      const start = this.pos;
      const key = this.#key(prevStart, prevEnd, true)!;
      prevStart = start;
      prevEnd = this.pos;
      const value = this.value(depth + 1);
      if (key === '__proto__')
        Object.defineProperty(out, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = value;
    }
    return out;
  }

  /** Checks that the input ends here. */
  end(): void {
    if (this.pos !== this.bytes.length)
      bad(`${this.bytes.length - this.pos} bytes after the value`);
  }
}

/**
 * Decodes canonical CBOR, refusing any other encoding of the same value
 * (`NON_CANONICAL`). Byte strings are views into `bytes`, not copies.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  const r = new CborReader(bytes);
  const value = r.value();
  r.end();
  return value;
}
