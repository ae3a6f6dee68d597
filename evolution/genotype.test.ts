import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../crypto/index.js';
import { fromCanonical, genotypeId, normalize, toCanonical } from './genotype.js';
import type { Genotype } from './genotype.js';
import { Rng } from './random.js';
import { seedNetwork } from './seed-network.js';

const seed = (): Genotype =>
  seedNetwork(
    3,
    2,
    { activations: ['tanh', 'sin'], hidden: 2, recurrent: true, bias: true, weightRange: 2 },
    new Rng(1),
  );

describe('genotype', () => {
  it('round-trips through its canonical form', () => {
    const g = seed();
    const c = toCanonical(g);
    expect(fromCanonical(c)).toEqual(g);
    expect(genotypeId(fromCanonical(c))).toBe(genotypeId(g));
    expect(() => encodeCanonical(c)).not.toThrow();
  });
  it('gives the same id to the same network whatever order it was built in', () => {
    const g = seed();
    const shuffled: Genotype = {
      ...g,
      neurons: [...g.neurons].reverse().map((n) => ({ ...n, inputs: [...n.inputs].reverse() })),
    };
    expect(genotypeId(normalize(shuffled))).toBe(genotypeId(g));
  });
  it('rejects invalid or non-normal values with INVALID_GENOTYPE', () => {
    const c = toCanonical(seed()) as unknown as Record<string, unknown>;
    const bad = [
      null,
      { ...c, v: 2 },
      { ...c, neurons: [] },
      { ...c, sensors: [0, 0, 1] },
      { ...c, neurons: [...(c.neurons as unknown[])].reverse() },
      { ...c, actuators: [[0, [99]]] },
      { ...c, neurons: [[0, 'nope', null, []]] },
      {
        ...c,
        neurons: [
          [0, 'tanh', 0.1, []],
          [1, 'tanh', null, []],
        ],
      }, // 0.1 is not a float32
    ];
    for (const b of bad)
      expect(() => fromCanonical(b)).toThrow(expect.objectContaining({ code: 'INVALID_GENOTYPE' }));
  });
});
