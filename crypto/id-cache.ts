import { idAt } from './ids.js';
import type { AnyId } from './ids.js';

/**
 * Hex strings of recently seen 32-byte ids, found by their bytes: a bulk
 * reader that meets the same ids again and again (a run's id in each of its
 * evaluations, a parent in each of its children) hands out one string per
 * id instead of a new one each time, so the strings a projection keeps are
 * shared, and maps keyed by them find their hash already computed. A cache,
 * not a dictionary: a slot holds the last id that fell into it, so a lookup
 * costs one comparison whatever the input (crafted ids that collide only
 * miss), and its memory is fixed. Ids are hashes or public keys: their
 * first bytes spread them evenly.
 */
export class IdCache {
  readonly #bytes: Uint8Array;
  readonly #strings: (string | undefined)[];
  readonly #mask: number;

  /** A cache of `slots` ids (a power of two; default 2^16, 2 MiB of bytes). */
  constructor(slots = 1 << 16) {
    if (!Number.isInteger(Math.log2(slots))) throw new RangeError('slots must be a power of two');
    this.#bytes = new Uint8Array(32 * slots);
    this.#strings = new Array<string | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
  }

  /** The id whose 32 bytes start at `offset` in `bytes`, as {@link idAt} gives it. */
  id<T extends AnyId>(bytes: Uint8Array, offset: number): T {
    const slot =
      (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16)) & this.#mask;
    const held = this.#strings[slot];
    const cache = this.#bytes;
    const at = 32 * slot;
    if (held !== undefined) {
      let i = 0;
      while (i < 32 && cache[at + i] === bytes[offset + i]) i++;
      if (i === 32) return held as T;
    }
    const id = idAt<T>(bytes, offset);
    for (let i = 0; i < 32; i++) cache[at + i] = bytes[offset + i]!;
    this.#strings[slot] = id;
    return id;
  }
}
