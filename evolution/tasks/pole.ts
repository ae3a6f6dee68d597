import { EvolutionError } from '../errors.js';
import type { Phenotype } from '../phenotype.js';
import { CARTPOLE, CartPole } from './cartpole.js';
import type { EvaluationResult, Task } from './task.js';

function stepsParam(task: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000_000) {
    throw new EvolutionError(
      'INVALID_TASK_PARAMS',
      `${task}: steps must be an integer in 1..10^7, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** Runs a Markov (full-state) pole controller from the standard start; returns steps balanced. */
function balanceMarkov(
  p: Phenotype,
  sim: CartPole,
  input: Float64Array,
  maxSteps: number,
  angle: number,
): number {
  sim.reset(0, 0, CARTPOLE.startAngle, 0, 0, 0);
  p.reset();
  const s = sim.state;
  const two = sim.twoPoles;
  let t = 0;
  while (t < maxSteps) {
    input[0] = (s[0] as number) / 4.8;
    input[1] = (s[1] as number) / 2;
    input[2] = (s[2] as number) / 0.52;
    input[3] = (s[3] as number) / 2;
    if (two) {
      input[4] = (s[4] as number) / 0.52;
      input[5] = (s[5] as number) / 2;
    }
    sim.step(p.activate(input)[0] as number);
    if (sim.failed(angle)) break;
    t++;
  }
  return t;
}

/**
 * Single pole with velocities: inputs x/4.8, ẋ/2, θ/0.52, θ̇/2; fails past 12°
 * or ±2.4 m; fitness = steps balanced; solved at `steps` (default 100,000).
 */
export function singlePoleTask(params: { steps?: unknown } = {}): Task {
  const steps = stepsParam('single-pole', params.steps, 100_000);
  return {
    id: 'single-pole',
    version: 1,
    sensors: 4,
    actuators: 1,
    params: { steps },
    evaluate(p): EvaluationResult {
      const t = balanceMarkov(
        p,
        new CartPole(false),
        new Float64Array(4),
        steps,
        CARTPOLE.singleFailureAngle,
      );
      return { fitness: t, cost: t, solved: t >= steps };
    },
  };
}

/**
 * Double pole with velocities (DPV, NEAT 2002): inputs x/4.8, ẋ/2, θ1/0.52,
 * θ̇1/2, θ2/0.52, θ̇2/2; fails past 36° or ±2.4 m; fitness = steps balanced;
 * solved when both poles stay up for `steps` (default 100,000, over 30 min).
 */
export function dpvTask(params: { steps?: unknown } = {}): Task {
  const steps = stepsParam('dpv', params.steps, 100_000);
  return {
    id: 'dpv',
    version: 1,
    sensors: 6,
    actuators: 1,
    params: { steps },
    evaluate(p): EvaluationResult {
      const t = balanceMarkov(
        p,
        new CartPole(true),
        new Float64Array(6),
        steps,
        CARTPOLE.doubleFailureAngle,
      );
      return { fitness: t, cost: t, solved: t >= steps };
    },
  };
}

/** Non-Markov run: inputs x/4.8, θ1/0.52, θ2/0.52. Returns steps balanced; fills the jiggle sum of the last 100 steps. */
function balanceNonMarkov(
  p: Phenotype,
  sim: CartPole,
  input: Float64Array,
  maxSteps: number,
  jiggle: Float64Array | null,
): number {
  p.reset();
  const s = sim.state;
  let t = 0;
  while (t < maxSteps) {
    input[0] = (s[0] as number) / 4.8;
    input[1] = (s[2] as number) / 0.52;
    input[2] = (s[4] as number) / 0.52;
    sim.step(p.activate(input)[0] as number);
    if (sim.failed(CARTPOLE.doubleFailureAngle)) break;
    if (jiggle !== null) {
      jiggle[t % 100] =
        Math.abs(s[0] as number) +
        Math.abs(s[1] as number) +
        Math.abs(s[2] as number) +
        Math.abs(s[3] as number);
    }
    t++;
  }
  return t;
}

/** The 5 start values per variable of Gruau's generalization test. */
const GRID = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

/**
 * Double pole without velocities (DPNV, NEAT 2002): inputs x/4.8, θ1/0.52,
 * θ2/0.52. Fitness is Gruau's damping fitness over 1,000 steps:
 * 0.1·t/1000 + 0.9·(t < 100 ? 0 : 0.75 / Σ_{last 100} (|x|+|ẋ|+|θ1|+|θ̇1|)).
 * A network that balances the 1,000 steps is then tested as NEAT tests its
 * champions: 100,000 steps from the standard start, then the 625-start
 * generalization test (x, ẋ, θ1, θ̇1 on a 5-point grid each, 1,000 steps);
 * solved when at least 200 of 625 starts are balanced.
 */
export function dpnvTask(
  params: { steps?: unknown; championSteps?: unknown; generalization?: unknown } = {},
): Task {
  const steps = stepsParam('dpnv', params.steps, 1000);
  const championSteps = stepsParam('dpnv', params.championSteps, 100_000);
  const generalization = params.generalization ?? 200;
  if (
    typeof generalization !== 'number' ||
    !Number.isInteger(generalization) ||
    generalization < 0 ||
    generalization > 625
  ) {
    throw new EvolutionError(
      'INVALID_TASK_PARAMS',
      'dpnv: generalization must be an integer in 0..625',
    );
  }
  return {
    id: 'dpnv',
    version: 1,
    sensors: 3,
    actuators: 1,
    params: { steps, championSteps, generalization },
    evaluate(p): EvaluationResult {
      const sim = new CartPole(true);
      const input = new Float64Array(3);
      const jiggle = new Float64Array(100);
      sim.reset(0, 0, CARTPOLE.startAngle, 0, 0, 0);
      const t = balanceNonMarkov(p, sim, input, steps, jiggle);
      let sum = 0;
      for (let i = 0; i < 100; i++) sum += jiggle[i] as number;
      const f2 = t < 100 ? 0 : 0.75 / sum;
      const fitness = 0.1 * (t / steps) + 0.9 * f2;
      let cost = t;
      let solved = false;
      if (t >= steps) {
        sim.reset(0, 0, CARTPOLE.startAngle, 0, 0, 0);
        const long = balanceNonMarkov(p, sim, input, championSteps, null);
        cost += long;
        if (long >= championSteps) {
          let balanced = 0;
          for (const a of GRID)
            for (const b of GRID)
              for (const c of GRID)
                for (const d of GRID) {
                  sim.reset(
                    a * 4.32 - 2.16,
                    b * 2.7 - 1.35,
                    c * 0.12566304 - 0.06283152,
                    d * 0.30019504 - 0.15009752,
                    0,
                    0,
                  );
                  const g = balanceNonMarkov(p, sim, input, 1000, null);
                  cost += g;
                  if (g >= 1000) balanced++;
                }
          solved = balanced >= generalization;
        }
      }
      return { fitness, cost, solved };
    },
  };
}
