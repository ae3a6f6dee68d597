import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from './activation.js';
import { compile } from './compiler.js';
import { interpret } from './interpreter.js';
import { drawMutation, MUTATION_OPERATORS } from './mutation.js';
import { Rng } from './random.js';
import { seedNetwork } from './seed-network.js';
import { fcParams } from '../property-tests/fc.js';

const config = {
  operators: Object.fromEntries(MUTATION_OPERATORS.map((n) => [n, 1])),
  opsScale: 2,
  maxOps: 6,
  activations: ACTIVATIONS,
  weightRange: 3,
  weightSpread: 1,
};

const arbNetwork = fc
  .record({
    inputs: fc.integer({ min: 1, max: 4 }),
    outputs: fc.integer({ min: 1, max: 3 }),
    hidden: fc.integer({ min: 0, max: 3 }),
    recurrent: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    mutations: fc.integer({ min: 0, max: 15 }),
  })
  .map((p) => {
    let g = seedNetwork(
      p.inputs,
      p.outputs,
      {
        activations: ACTIVATIONS,
        hidden: p.hidden,
        recurrent: p.recurrent,
        bias: true,
        weightRange: 3,
      },
      new Rng(p.seed),
    );
    for (let k = 0; k < p.mutations; k++) g = drawMutation(g, p.seed + k, config).child;
    return g;
  });

describe('phenotype', () => {
  it('compiled code and the reference interpreter agree bit for bit, recurrent state included', () => {
    fc.assert(
      fc.property(
        arbNetwork,
        fc.array(
          fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 4, maxLength: 4 }),
          { minLength: 1, maxLength: 8 },
        ),
        (g, inputs) => {
          const a = compile(g);
          const b = interpret(g);
          for (let round = 0; round < 2; round++) {
            for (const x of inputs) {
              const ya = Array.from(a.activate(x));
              const yb = Array.from(b.activate(x));
              expect(ya).toEqual(yb);
            }
            a.reset();
            b.reset();
          }
        },
      ),
      fcParams({ numRuns: 200 }),
    );
  });
});
