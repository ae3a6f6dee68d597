import { isActivation } from './activation.js';
import { toWeight } from './genotype.js';
import type { Genotype } from './genotype.js';
import { badParams, draft, finish, intParam, neuronOf, numParam, strParam } from './operator.js';
import type { Operator } from './operator.js';
import { attemptSeed, nextSpread, perturbNetwork, perturbNeuron } from './perturb.js';
import type { SpreadSchedule } from './perturb.js';
import { Rng } from './random.js';

/** `mutate_weights [neuron, seed, spread]`: perturbs some weights of one neuron, drawn from `seed`. */
export const mutateWeights: Operator = {
  name: 'mutate_weights',
  draw(g, rng, ctx) {
    const n = rng.pick(g.neurons);
    if (n.inputs.length === 0 && n.bias === null) return null;
    // Annealed spread: log-uniform between spread/16 and spread, so big and fine steps both occur.
    const spread = Math.fround(ctx.weightSpread * Math.pow(2, -4 * rng.next()));
    return [n.id, rng.uint32(), spread];
  },
  apply(g, params) {
    const id = intParam('mutate_weights', params, 0);
    const seed = intParam('mutate_weights', params, 1);
    const spread = numParam('mutate_weights', params, 2);
    const d = draft(g);
    const n = neuronOf('mutate_weights', d, id);
    const p = perturbNeuron({ ...n }, new Rng(seed), spread);
    n.inputs = p.inputs.slice();
    n.bias = p.bias;
    return finish(d);
  },
};

/** `add_bias [neuron, bias]`. */
export const addBias: Operator = {
  name: 'add_bias',
  draw(g, rng, ctx) {
    const candidates = g.neurons.filter((n) => n.bias === null);
    if (candidates.length === 0) return null;
    return [rng.pick(candidates).id, toWeight(rng.uniform(-ctx.weightRange, ctx.weightRange))];
  },
  apply(g, params) {
    const d = draft(g);
    const n = neuronOf('add_bias', d, intParam('add_bias', params, 0));
    if (n.bias !== null) badParams('add_bias', `neuron ${n.id} already has a bias`);
    n.bias = toWeight(numParam('add_bias', params, 1));
    return finish(d);
  },
};

/** `remove_bias [neuron]`. */
export const removeBias: Operator = {
  name: 'remove_bias',
  draw(g, rng) {
    const candidates = g.neurons.filter((n) => n.bias !== null);
    return candidates.length === 0 ? null : [rng.pick(candidates).id];
  },
  apply(g, params) {
    const d = draft(g);
    const n = neuronOf('remove_bias', d, intParam('remove_bias', params, 0));
    if (n.bias === null) badParams('remove_bias', `neuron ${n.id} has no bias`);
    n.bias = null;
    return finish(d);
  },
};

/** `mutate_af [neuron, activation]`: a different activation function. */
export const mutateAf: Operator = {
  name: 'mutate_af',
  draw(g, rng, ctx) {
    const n = rng.pick(g.neurons);
    const others = ctx.activations.filter((a) => a !== n.af);
    return others.length === 0 ? null : [n.id, rng.pick(others)];
  },
  apply(g, params) {
    const af = strParam('mutate_af', params, 1);
    if (!isActivation(af)) badParams('mutate_af', `unknown activation ${af}`);
    const d = draft(g);
    const n = neuronOf('mutate_af', d, intParam('mutate_af', params, 0));
    n.af = af;
    return finish(d);
  },
};

/** Fixed step-size rule of `perturb` v1 relative to its initial spread. */
const PERTURB_GROW = 1.5;
/** Shrink factor after a rejected attempt. */
const PERTURB_SHRINK = 0.8;

/** The schedule `perturb` uses for an initial spread. */
export function perturbSchedule(initial: number): SpreadSchedule {
  return {
    initial,
    grow: PERTURB_GROW,
    shrink: PERTURB_SHRINK,
    min: initial / 32,
    max: initial * 4,
  };
}

/**
 * Replays accepted tuning attempts. Attempt `j` perturbs the network with seed
 * `attemptSeed(seed, j)` and a spread that grew after each accepted attempt
 * and shrank after each rejected one; only the accepted attempts change the
 * network, so the list of accepted indices is all replay needs.
 */
export function replayTuning(
  g: Genotype,
  seed: number,
  initial: number,
  accepted: readonly number[],
): Genotype {
  const schedule = perturbSchedule(initial);
  let spread = Math.fround(initial);
  let k = 0;
  const last = accepted.length === 0 ? -1 : (accepted[accepted.length - 1] as number);
  for (let j = 0; j <= last; j++) {
    const ok = accepted[k] === j;
    if (ok) {
      g = perturbNetwork(g, attemptSeed(seed, j), spread);
      k++;
    }
    spread = nextSpread(schedule, spread, ok);
  }
  return g;
}

/**
 * `perturb [seed, spread, ...acceptedAttempts]`: the summary of a memetic
 * tuning session (DXNN exoself); see {@link replayTuning}.
 */
export const perturb: Operator = {
  name: 'perturb',
  draw() {
    return null; // produced by tuning, never drawn as a mutation
  },
  apply(g, params) {
    const seed = intParam('perturb', params, 0);
    const spread = numParam('perturb', params, 1);
    const accepted: number[] = [];
    for (let i = 2; i < params.length; i++) {
      const j = intParam('perturb', params, i);
      if (j < 0 || (accepted.length > 0 && j <= (accepted[accepted.length - 1] as number))) {
        badParams('perturb', 'accepted attempts must be ascending non-negative integers');
      }
      accepted.push(j);
    }
    return replayTuning(g, seed, spread, accepted);
  },
};
