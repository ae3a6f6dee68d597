/**
 * The decoding half of the canonical CBOR codec (`cbor.ts` encodes): a
 * reader that checks canonical form as it goes, for decoders of any value
 * and for decoders that know the layout they read.
 */
import { CryptoError } from './errors.js';
import { floatWidth, fromHalfBits } from './cbor.js';

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
 * Canonical CBOR read piece by piece. {@link value} reads any item (what {@link decodeCbor} does); the other
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
