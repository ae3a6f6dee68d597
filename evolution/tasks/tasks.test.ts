import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler.js';
import { normalize } from '../genotype.js';
import type { Genotype } from '../genotype.js';
import { CARTPOLE, CartPole } from './cartpole.js';
import { loadTaskModule } from './load-task-module.js';
import { getTask, tasks } from './registry.js';

/** One linear neuron reading every sensor with the given weights. */
function linear(weights: number[]): Genotype {
  return normalize({
    inputs: weights.length,
    outputs: 1,
    sensors: weights.map((_, i) => i),
    neurons: [
      {
        id: 0,
        af: 'linear',
        bias: null,
        inputs: weights.map((w, i) => ({ from: -(i + 1), weight: Math.fround(w) })),
      },
    ],
    actuators: [{ index: 0, from: [0] }],
  });
}

describe('pole physics', () => {
  it('a pole left alone falls, the way gravity says', () => {
    const sim = new CartPole(true);
    sim.reset(0, 0, CARTPOLE.startAngle, 0);
    let t = 0;
    while (!sim.failed(CARTPOLE.doubleFailureAngle) && t < 10_000) {
      sim.step(0);
      t++;
    }
    expect(t).toBeGreaterThan(10);
    expect(t).toBeLessThan(200);
    expect(sim.state[2]).toBeGreaterThan(0); // it fell to the side it leaned
  });

  it('a known-good linear controller balances the single pole for 100,000 steps', () => {
    const r = getTask('single-pole').evaluate(
      compile(
        linear([5.077479362487793, 9.286964416503906, 2.5863943099975586, 9.154754638671875]),
      ),
      0,
    );
    expect(r).toMatchObject({ solved: true, fitness: 100_000 });
  });

  it('a known-good linear controller balances both poles (DPV) for 100,000 steps', () => {
    const w = [
      -3.8531486988067627, -4.326773643493652, -7.229982376098633, -9.137779235839844,
      4.586379051208496, 1.0683060884475708,
    ];
    expect(getTask('dpv').evaluate(compile(linear(w)), 0)).toMatchObject({
      solved: true,
      fitness: 100_000,
    });
    // ...and pushing the wrong way fails fast.
    expect(getTask('dpv').evaluate(compile(linear(w.map((x) => -x))), 0).fitness).toBeLessThan(100);
  });

  it('a one-neuron controller with a self-link (velocity from memory) solves DPNV, generalization test included', () => {
    const g = normalize({
      inputs: 3,
      outputs: 1,
      sensors: [0, 1, 2],
      neurons: [
        {
          id: 0,
          af: 'tanh',
          bias: null,
          inputs: [
            [-3, 4.09],
            [-2, -3.44],
            [-1, -0.22],
            [0, -1.13],
          ].map(([from, w]) => ({ from: from!, weight: Math.fround(w!) })),
        },
      ],
      actuators: [{ index: 0, from: [0] }],
    });
    const r = getTask('dpnv').evaluate(compile(g), 0);
    expect(r.solved).toBe(true);
    expect(r.cost).toBeGreaterThan(100_000 + 200 * 1000);
    // Without its self-link it cannot damp the poles.
    const ff = normalize({
      ...g,
      neurons: [{ ...g.neurons[0]!, inputs: g.neurons[0]!.inputs.filter((l) => l.from < 0) }],
    });
    expect(getTask('dpnv').evaluate(compile(ff), 0).solved).toBe(false);
  });

  it('DPNV gives Gruau damping fitness and is not solved by a feed-forward stateless net', () => {
    const r = getTask('dpnv').evaluate(compile(linear([0, 1, -1])), 0);
    expect(r.solved).toBe(false);
    expect(r.fitness).toBeGreaterThanOrEqual(0);
    expect(r.fitness).toBeLessThan(1);
  });
});

describe('boolean tasks', () => {
  it('XOR is solved by |x1 - x2|', () => {
    const g = normalize({
      inputs: 2,
      outputs: 1,
      sensors: [0, 1],
      neurons: [
        {
          id: 0,
          af: 'abs',
          bias: null,
          inputs: [
            { from: -1, weight: 1 },
            { from: -2, weight: -1 },
          ],
        },
      ],
      actuators: [{ index: 0, from: [0] }],
    });
    expect(getTask('xor').evaluate(compile(g), 0)).toEqual({ fitness: 16, cost: 4, solved: true });
    expect(getTask('xor').evaluate(compile(linear([1, 1])), 0).solved).toBe(false);
  });
  it('parity validates its params', () => {
    expect(getTask('parity', { bits: 4 }).sensors).toBe(4);
    expect(() => getTask('parity', { bits: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_TASK_PARAMS' }),
    );
    expect(() => getTask('nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_TASK' }));
    expect(tasks().map((t) => t.id)).toEqual(['xor', 'parity', 'single-pole', 'dpv', 'dpnv']);
  });
});

describe('custom task modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'evoledger-task-'));
  it('loads a valid module', async () => {
    const file = join(dir, 'ok.mjs');
    writeFileSync(
      file,
      'export default { id: "const", version: 1, sensors: 1, actuators: 1, params: {}, evaluate(p) { const y = p.activate([1])[0]; return { fitness: -Math.abs(y - 0.5), cost: 1, solved: Math.abs(y - 0.5) < 0.01 }; } };',
    );
    const t = await loadTaskModule(file);
    expect(t.id).toBe('const');
    expect(t.module).toMatch(/^file:/);
    expect(t.evaluate(compile(linear([0.5])), 0).solved).toBe(true);
  });
  it('rejects a module without a usable task with INVALID_TASK_MODULE', async () => {
    const file = join(dir, 'bad.mjs');
    writeFileSync(
      file,
      'export default { id: "x", version: 1, sensors: 0, actuators: 1, params: {} };',
    );
    await expect(loadTaskModule(file)).rejects.toMatchObject({ code: 'INVALID_TASK_MODULE' });
    await expect(loadTaskModule(join(dir, 'missing.mjs'))).rejects.toMatchObject({
      code: 'INVALID_TASK_MODULE',
    });
  });
});
