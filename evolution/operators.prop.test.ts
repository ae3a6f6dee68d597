import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from './activation.js';
import { fromCanonical, genotypeId, toCanonical, validateGenotype } from './genotype.js';
import {
  applyOps,
  drawMutation,
  getOperator,
  MUTATION_OPERATORS,
  replayMutation,
} from './mutation.js';
import type { MutationConfig } from './mutation.js';
import type { AppliedOp } from './operator.js';
import { Rng } from './random.js';
import { seedNetwork } from './seed-network.js';
import { fcParams } from '../property-tests/fc.js';

const everyOp: MutationConfig = {
  operators: Object.fromEntries(MUTATION_OPERATORS.map((n) => [n, 1])),
  opsScale: 2,
  maxOps: 6,
  activations: ACTIVATIONS,
  weightRange: 3,
  weightSpread: 1,
};

const arbSeedNet = fc
  .record({
    inputs: fc.integer({ min: 1, max: 5 }),
    outputs: fc.integer({ min: 1, max: 3 }),
    hidden: fc.integer({ min: 0, max: 3 }),
    recurrent: fc.boolean(),
    bias: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  })
  .map((p) =>
    seedNetwork(
      p.inputs,
      p.outputs,
      {
        activations: ['tanh', 'relu'],
        hidden: p.hidden,
        recurrent: p.recurrent,
        bias: p.bias,
        weightRange: 2,
      },
      new Rng(p.seed),
    ),
  );

describe('mutation operators', () => {
  it('keep genotypes valid and replay exactly from recorded ops', () => {
    fc.assert(
      fc.property(
        arbSeedNet,
        fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 12 }),
        (start, seeds) => {
          let g = start;
          const lineage: { parent: typeof g; ops: AppliedOp[]; child: typeof g }[] = [];
          for (const s of seeds) {
            const { ops, child } = drawMutation(g, s, everyOp);
            validateGenotype(child);
            expect(fromCanonical(toCanonical(child))).toEqual(child);
            lineage.push({ parent: g, ops, child });
            g = child;
          }
          for (const step of lineage) {
            // Ops survive a trip through plain values (as in a ledger event) and reproduce the child id.
            const ops = JSON.parse(JSON.stringify(step.ops)) as AppliedOp[];
            expect(genotypeId(applyOps(step.parent, ops))).toBe(genotypeId(step.child));
            expect(() => replayMutation(step.parent, ops, genotypeId(step.child))).not.toThrow();
          }
        },
      ),
      fcParams({ numRuns: 150 }),
    );
  });

  it('every operator applies somewhere and keeps the network valid', () => {
    const g0 = seedNetwork(
      4,
      2,
      { activations: ['tanh'], hidden: 2, recurrent: false, bias: true, weightRange: 2 },
      new Rng(5),
    );
    const partial = {
      ...g0,
      sensors: [0, 1],
      neurons: g0.neurons.map((n) => ({
        ...n,
        bias: n.id === 0 ? null : n.bias,
        inputs: n.inputs.filter((l) => (n.id === 0 ? l.from !== -2 : true) && l.from >= -2),
      })),
      actuators: [g0.actuators[0]!],
    };
    for (const name of MUTATION_OPERATORS) {
      const op = getOperator(name);
      const rng = new Rng(11, name);
      const params = op.draw(partial, rng, everyOp);
      expect(params, name).not.toBeNull();
      const child = op.apply(partial, params!);
      validateGenotype(child);
      expect(genotypeId(child), name).not.toBe(genotypeId(partial));
    }
  });

  it('rejects unknown operators and misfit parameters with stable codes', () => {
    const g = seedNetwork(
      2,
      1,
      { activations: ['tanh'], hidden: 0, recurrent: false, bias: false, weightRange: 1 },
      new Rng(1),
    );
    expect(() => applyOps(g, [['no_such_op', 1]])).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_OPERATOR' }),
    );
    expect(() => applyOps(g, [['remove_bias', 0]])).toThrow(
      expect.objectContaining({ code: 'INVALID_OPERATOR_PARAMS' }),
    );
    expect(() => applyOps(g, [['add_outlink', 0, 99, 0.5]])).toThrow(
      expect.objectContaining({ code: 'INVALID_OPERATOR_PARAMS' }),
    );
    const { ops, child } = drawMutation(g, 3, everyOp);
    const tampered = [...ops, ['add_bias', 0, 1] as AppliedOp].filter(
      (_, i) => i < ops.length - 1 || ops.length === 0,
    );
    expect(() =>
      replayMutation(
        g,
        tampered.length === 0 ? [['mutate_af', 0, 'sin']] : tampered,
        genotypeId(child),
      ),
    ).toThrow();
  });
});
