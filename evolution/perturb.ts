import { toWeight } from './genotype.js';
import type { Genotype, Neuron } from './genotype.js';
import { deriveSeed, Rng } from './random.js';

/**
 * Weight perturbation shared by `mutate_weights` and memetic tuning (DXNN):
 * each chosen parameter (input weight or bias) moves by a normal deviate times
 * `spread`; parameters are chosen with probability 1/sqrt(count), at least one.
 */
export function perturbNeuron(n: Neuron, rng: Rng, spread: number): Neuron {
  const count = n.inputs.length + (n.bias === null ? 0 : 1);
  if (count === 0) return n;
  const p = 1 / Math.sqrt(count);
  const chosen: boolean[] = [];
  let any = false;
  for (let i = 0; i < count; i++) {
    const c = rng.chance(p);
    chosen.push(c);
    any ||= c;
  }
  if (!any) chosen[rng.int(0, count - 1)] = true;
  const inputs = n.inputs.map((l, i) =>
    chosen[i] === true ? { from: l.from, weight: toWeight(l.weight + rng.normal() * spread) } : l,
  );
  const bias =
    n.bias === null
      ? null
      : chosen[count - 1] === true
        ? toWeight(n.bias + rng.normal() * spread)
        : n.bias;
  return { id: n.id, af: n.af, bias, inputs };
}

/**
 * One tuning perturbation of a whole network: each neuron is chosen with
 * probability 1/sqrt(N) (at least one) and perturbed by {@link perturbNeuron}.
 */
export function perturbNetwork(g: Genotype, seed: number, spread: number): Genotype {
  const rng = new Rng(seed);
  const N = g.neurons.length;
  const p = 1 / Math.sqrt(N);
  const chosen = g.neurons.map(() => rng.chance(p));
  if (!chosen.includes(true)) chosen[rng.int(0, N - 1)] = true;
  const neurons = g.neurons.map((n, i) => (chosen[i] === true ? perturbNeuron(n, rng, spread) : n));
  return { ...g, neurons };
}

/** Step-size rule of memetic tuning: grow after a success, shrink after a failure, within bounds. */
export interface SpreadSchedule {
  readonly initial: number;
  readonly grow: number;
  readonly shrink: number;
  readonly min: number;
  readonly max: number;
}

/** Spread of attempt `j + 1` given the spread of attempt `j` and whether `j` was accepted. */
export function nextSpread(s: SpreadSchedule, spread: number, accepted: boolean): number {
  const next = accepted ? spread * s.grow : spread * s.shrink;
  return Math.fround(Math.min(s.max, Math.max(s.min, next)));
}

/** Seed of tuning attempt `j` under tuning seed `seed`. */
export function attemptSeed(seed: number, j: number): number {
  return deriveSeed(seed, 'attempt', j);
}
