import { idAt } from './ids.js';
import type { AnyId } from './ids.js';

const ID = /^[0-9a-f]{64}$/;
const EMPTY = 0;

/**
 * A secret of this process that the slot hash is keyed with. Ids are
 * hashes whose bytes a signer can grind: with a public slot function, a
 * few seconds of grinding would give thousands of events whose ids share
 * one slot, and every probe among them would walk the whole cluster. Only
 * where an id sits depends on the key; handles, and so every result, do
 * not.
 */
const [K0, K1] = globalThis.crypto.getRandomValues(new Uint32Array(2));

/** The slot hash of the id at `offset`: its first 8 bytes, mixed with the key. */
function slotHash(b: Uint8Array, o: number): number {
  const w0 = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
  const w1 = b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24);
  let h = Math.imul(w0 ^ K0!, 0x9e3779b1) ^ Math.imul(w1 ^ K1!, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

/**
 * A set of 32-byte ids that numbers them: the first id interned gets handle
 * 0, the next 1, and so on, and an id keeps its handle. The projection's
 * large tables are columns indexed by these handles, so that folding an
 * event makes no hex string and no object: an id is found by its bytes
 * where they lie (in a block read from the store) and compared in place.
 *
 * Open addressing with linear probing over a power-of-two slot array,
 * slots found by a keyed hash of an id's first bytes ({@link slotHash}).
 * Slots hold `handle + 1` (0 is empty); the ids'
 * bytes lie in one growable array, 32 bytes a handle. Hex strings are made
 * only when asked for ({@link hex}), and not kept.
 */
export class IdTable {
  #bytes = new Uint8Array(32 * 1024);
  #slots = new Int32Array(2048);
  #mask = 2047;
  #size = 0;
  /** 32 bytes to parse a hex id into. */
  readonly #scratch = Buffer.alloc(32);

  /** Ids interned. */
  get size(): number {
    return this.#size;
  }

  /** The handle of the id at `offset` in `bytes`, interned if new. */
  intern(bytes: Uint8Array, offset: number): number {
    const h = this.#probe(bytes, offset);
    if (h >= 0) return h;
    return this.#add(bytes, offset, ~h);
  }

  /** The handle of the id at `offset` in `bytes`; -1 if it is not interned. */
  find(bytes: Uint8Array, offset: number): number {
    const h = this.#probe(bytes, offset);
    return h >= 0 ? h : -1;
  }

  /** The handle of a hex id, interned if new. Throws a `RangeError` for anything but 64 lower-case hex digits. */
  internHex(id: string): number {
    if (!this.#parse(id)) throw new RangeError(`not a 32-byte hex id: "${id.slice(0, 80)}"`);
    return this.intern(this.#scratch, 0);
  }

  /** The handle of a hex id; -1 if it is not interned (or not an id). */
  findHex(id: string): number {
    return this.#parse(id) ? this.find(this.#scratch, 0) : -1;
  }

  /** The hex id of a handle. */
  hex<T extends AnyId>(handle: number): T {
    return idAt<T>(this.#bytes, 32 * handle);
  }

  /** The hex id of a handle; null for -1. */
  hexOrNull<T extends AnyId>(handle: number): T | null {
    return handle < 0 ? null : idAt<T>(this.#bytes, 32 * handle);
  }

  /** The bytes all ids lie in, 32 a handle (valid until the next intern). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /**
   * Compares the id of `handle` with the id at `offset` in `bytes`, as
   * their hex strings compare: negative, 0 or positive.
   */
  compare(handle: number, bytes: Uint8Array, offset: number): number {
    const own = this.#bytes;
    const at = 32 * handle;
    for (let i = 0; i < 32; i++) {
      const d = own[at + i]! - bytes[offset + i]!;
      if (d !== 0) return d;
    }
    return 0;
  }

  /** Compares the ids of two handles, as their hex strings compare. */
  compareHandles(a: number, b: number): number {
    return this.compare(a, this.#bytes, 32 * b);
  }

  /** Makes room for `n` ids in all, so that interning up to there does not grow the table. */
  reserve(n: number): void {
    let bytes = this.#bytes.length;
    while (bytes < 32 * n) bytes *= 2;
    if (bytes > this.#bytes.length) {
      const next = new Uint8Array(bytes);
      next.set(this.#bytes);
      this.#bytes = next;
    }
    let slots = this.#slots.length;
    while (slots < 2 * n) slots *= 2;
    if (slots > this.#slots.length) this.#rehash(slots);
  }

  #parse(id: string): boolean {
    if (id.length !== 64 || !ID.test(id)) return false;
    this.#scratch.write(id, 'hex');
    return true;
  }

  /** The handle of the id, or `~slot` of the empty slot where it would go. */
  #probe(bytes: Uint8Array, offset: number): number {
    const slots = this.#slots;
    const own = this.#bytes;
    const mask = this.#mask;
    let slot = slotHash(bytes, offset) & mask;
    for (;;) {
      const held = slots[slot]!;
      if (held === EMPTY) return ~slot;
      const at = 32 * (held - 1);
      let i = 0;
      while (i < 32 && own[at + i] === bytes[offset + i]) i++;
      if (i === 32) return held - 1;
      slot = (slot + 1) & mask;
    }
  }

  #add(bytes: Uint8Array, offset: number, slot: number): number {
    const h = this.#size;
    if (32 * (h + 1) > this.#bytes.length) {
      const next = new Uint8Array(this.#bytes.length * 2);
      next.set(this.#bytes);
      this.#bytes = next;
    }
    const own = this.#bytes;
    for (let i = 0, at = 32 * h; i < 32; i++) own[at + i] = bytes[offset + i]!;
    this.#size = h + 1;
    // Kept at most half full, so that probes stay short.
    if (2 * this.#size > this.#slots.length) this.#rehash(2 * this.#slots.length);
    else this.#slots[slot] = h + 1;
    return h;
  }

  #rehash(length: number): void {
    const slots = new Int32Array(length);
    const mask = slots.length - 1;
    const own = this.#bytes;
    for (let h = 0; h < this.#size; h++) {
      let slot = slotHash(own, 32 * h) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = h + 1;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}
