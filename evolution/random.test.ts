import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng } from './random.js';

describe('deriveSeed', () => {
  it('is deterministic and sensitive to every part of the context', () => {
    expect(deriveSeed(1, 'mutation', 3, 4)).toBe(deriveSeed(1, 'mutation', 3, 4));
    const seen = new Set([
      deriveSeed(1, 'mutation', 3, 4),
      deriveSeed(2, 'mutation', 3, 4),
      deriveSeed(1, 'mutation', 4, 3),
      deriveSeed(1, 'mutatio', 3, 4),
      deriveSeed(1, 'a1'),
      deriveSeed(1, 'a', 1),
    ]);
    expect(seen.size).toBe(6);
  });
  it('returns a uint32', () => {
    for (let i = 0; i < 100; i++) {
      const s = deriveSeed(i, 'x', i * 7919);
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    }
  });
});

describe('Rng', () => {
  it('replays the same stream for the same seed', () => {
    const a = new Rng(42, 'ctx');
    const b = new Rng(42, 'ctx');
    for (let i = 0; i < 50; i++) expect(a.next()).toBe(b.next());
  });
  it('draws within range', () => {
    const r = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const f = r.next();
      expect(f >= 0 && f < 1).toBe(true);
      const k = r.int(-2, 5);
      expect(k >= -2 && k <= 5 && Number.isInteger(k)).toBe(true);
    }
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
  it('has a roughly standard normal', () => {
    const r = new Rng(9);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.05);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});
