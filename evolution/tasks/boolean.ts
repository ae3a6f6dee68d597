import { EvolutionError } from '../errors.js';
import type { Phenotype } from '../phenotype.js';
import type { EvaluationResult, Task } from './task.js';

/**
 * Scores a boolean function the NEAT way: each case from a reset network,
 * output clamped to [0, 1], fitness (cases - total error)^2, solved when every
 * output is on the right side of 0.5.
 */
function scoreTable(
  p: Phenotype,
  cases: readonly (readonly number[])[],
  targets: readonly number[],
): EvaluationResult {
  let error = 0;
  let solved = true;
  for (let c = 0; c < cases.length; c++) {
    p.reset();
    const raw = p.activate(cases[c] as readonly number[])[0] as number;
    const y = raw > 1 ? 1 : raw > 0 ? raw : 0; // NaN -> 0
    const t = targets[c] as number;
    error += Math.abs(y - t);
    if (t === 1 ? !(raw >= 0.5) : !(raw < 0.5)) solved = false;
  }
  const r = cases.length - error;
  return { fitness: r * r, cost: cases.length, solved };
}

function parityTable(bits: number): { cases: number[][]; targets: number[] } {
  const cases: number[][] = [];
  const targets: number[] = [];
  for (let m = 0; m < 1 << bits; m++) {
    const c: number[] = [];
    let ones = 0;
    for (let b = bits - 1; b >= 0; b--) {
      const v = (m >> b) & 1;
      c.push(v);
      ones += v;
    }
    cases.push(c);
    targets.push(ones & 1);
  }
  return { cases, targets };
}

/** XOR on inputs {0, 1}: NEAT's first benchmark (fitness max 16). */
export function xorTask(): Task {
  const { cases, targets } = parityTable(2);
  return {
    id: 'xor',
    version: 1,
    sensors: 2,
    actuators: 1,
    params: {},
    evaluate: (p) => scoreTable(p, cases, targets),
  };
}

/** N-bit even parity (odd number of ones -> 1); `bits` in 2..12, default 3. */
export function parityTask(params: { bits?: unknown } = {}): Task {
  const bits = params.bits ?? 3;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 2 || bits > 12) {
    throw new EvolutionError(
      'INVALID_TASK_PARAMS',
      `parity: bits must be an integer in 2..12, got ${JSON.stringify(bits)}`,
    );
  }
  const { cases, targets } = parityTable(bits);
  return {
    id: 'parity',
    version: 1,
    sensors: bits,
    actuators: 1,
    params: { bits },
    evaluate: (p) => scoreTable(p, cases, targets),
  };
}
