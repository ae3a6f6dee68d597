import { describe, expect, it } from 'vitest';
import { BASE_CONFIG } from './config.js';
import { genotypeId } from './genotype.js';
import { drawMutation } from './mutation.js';
import { Rng } from './random.js';
import { seedNetwork } from './seed-network.js';
import { allot, select, SELECTION_METHODS } from './selection.js';
import type { Candidate } from './selection.js';

function candidates(n: number): Candidate[] {
  return Array.from({ length: n }, (_, k) => {
    let g = seedNetwork(3, 1, BASE_CONFIG.seedNetwork, new Rng(k));
    for (let j = 0; j < k % 4; j++) g = drawMutation(g, k * 10 + j, BASE_CONFIG.mutation).child;
    return { genotype: genotypeId(g), network: g, fitness: (k * 37) % 11 };
  });
}

describe('select', () => {
  it('allots exactly the total, proportionally', () => {
    expect(allot([1, 1, 2], 8)).toEqual([2, 2, 4]);
    expect(allot([0, 0], 3).reduce((a, b) => a + b)).toBe(3);
    expect(allot([3, 1, 1], 7).reduce((a, b) => a + b)).toBe(7);
  });
  for (const method of SELECTION_METHODS) {
    it(`${method}: right counts, deterministic, best survives`, () => {
      const cs = candidates(12);
      const cfg = { ...BASE_CONFIG.selection, keep: 4, offspring: 8 };
      const a = select(method, cs, cfg, new Rng(1, 'sel'));
      const b = select(method, cs, cfg, new Rng(1, 'sel'));
      expect(a).toEqual(b);
      expect(a.survivors).toHaveLength(4);
      expect(a.parents).toHaveLength(8);
      const best = Math.max(...cs.map((c) => c.fitness));
      expect(a.survivors.some((i) => cs[i]!.fitness === best)).toBe(true);
      expect(a.species).toBeGreaterThanOrEqual(1);
    });
  }
});
