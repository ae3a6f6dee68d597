import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * Seeded, splittable randomness. Every decision the engine makes draws from a
 * stream keyed by its context (run seed, generation, offspring index, purpose),
 * so results do not depend on worker count or iteration order.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixWord(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Derives a uint32 seed from `seed` and a context path (murmur3-style mixing;
 * fast, not cryptographic). Strings are mixed per UTF-16 unit with a type
 * marker and length, numbers as two 32-bit halves, so `('a', 1)` and `('a1')`
 * never collide by construction.
 */
export function deriveSeed(seed: number, ...context: readonly (string | number)[]): number {
  let h = seed >>> 0;
  let n = 0;
  for (const part of context) {
    if (typeof part === 'number') {
      h = mixWord(h, 0x6e756d);
      h = mixWord(h, part >>> 0);
      h = mixWord(h, Math.floor(part / 4294967296) | 0);
      n += 3;
    } else {
      h = mixWord(h, 0x737472 ^ part.length);
      for (let i = 0; i < part.length; i++) h = mixWord(h, part.charCodeAt(i));
      n += 1 + part.length;
    }
  }
  return finalize(h, n);
}

/** A small convenience wrapper over a seeded xoroshiro128+ generator. */
export class Rng {
  private readonly gen: RandomGenerator;
  private spare: number | null = null;

  /** A generator seeded with `deriveSeed(seed, ...context)`. */
  constructor(seed: number, ...context: readonly (string | number)[]) {
    this.gen = xoroshiro128plus(context.length === 0 ? seed >>> 0 : deriveSeed(seed, ...context));
  }

  /** A uint32. */
  uint32(): number {
    return this.gen.next() >>> 0;
  }

  /** A float uniform in [0, 1) with 53 bits of randomness. */
  next(): number {
    const hi = this.gen.next() >>> 5;
    const lo = this.gen.next() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer uniform in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A standard normal deviate (Box–Muller, the spare value is kept). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i] as T;
      out[i] = out[j] as T;
      out[j] = t;
    }
    return out;
  }
}
