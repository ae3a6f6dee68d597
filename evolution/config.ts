import { ACTIVATIONS, isActivation } from './activation.js';
import type { Activation } from './activation.js';
import { EvolutionError } from './errors.js';
import { MUTATION_OPERATORS } from './mutation.js';
import type { MutationConfig } from './mutation.js';
import type { SeedNetworkConfig } from './seed-network.js';
import { SELECTION_METHODS } from './selection.js';
import type { SelectionConfig } from './selection.js';
import type { TuningConfig } from './tuning.js';

/**
 * The whole engine configuration: plain values only, recorded verbatim in the
 * run event, so a run is reproducible from its first event.
 */
export interface EngineConfig {
  /** Population size (DXNN and NEAT keep it constant). */
  readonly population: number;
  /**
   * `generational`: each generation keeps `selection.keep` survivors and
   * breeds the rest; `steady-state`: each step breeds only `batch` offspring
   * that replace the worst.
   */
  readonly strategy: 'generational' | 'steady-state';
  /** Offspring per step in steady-state. */
  readonly batch: number;
  readonly selection: SelectionConfig;
  readonly mutation: MutationConfig;
  readonly tuning: TuningConfig;
  readonly seedNetwork: SeedNetworkConfig;
  /** Stop once this many fitness evaluations (tuning included) were spent. */
  readonly maxEvaluations: number;
  /** Stop after this many generations. */
  readonly maxGenerations: number;
  /** Restart from fresh seed networks after this many generations without improvement (0: never). */
  readonly stagnation: number;
  /** Relative improvement of the population's best that resets the stagnation count (0: any). */
  readonly stagnationEpsilon: number;
}

/** A partial configuration, merged over the defaults one level deep. */
export type ConfigOverrides = {
  readonly [K in keyof EngineConfig]?: EngineConfig[K] extends object
    ? Partial<EngineConfig[K]>
    : EngineConfig[K];
};

const topologyOps: Record<string, number> = {
  mutate_weights: 0,
  add_bias: 1,
  remove_bias: 0.5,
  mutate_af: 1,
  add_outlink: 1,
  add_inlink: 1,
  add_neuron: 1,
  outsplice: 1,
  insplice: 1,
  add_sensorlink: 1,
  add_actuatorlink: 0.5,
  add_sensor: 1,
  add_actuator: 1,
  remove_link: 0.5,
  remove_neuron: 0.5,
};

/** Engine defaults before any task-specific tuning. */
export const BASE_CONFIG: EngineConfig = {
  population: 20,
  strategy: 'generational',
  batch: 4,
  selection: {
    method: 'competition',
    keep: 10,
    tournamentSize: 3,
    efficiency: 0.05,
    compatibility: { threshold: 3, disjoint: 1, nodes: 1, weights: 0.4 },
  },
  mutation: {
    operators: topologyOps,
    opsScale: 1,
    maxOps: 4,
    activations: ACTIVATIONS,
    weightRange: 2,
    weightSpread: 1,
  },
  tuning: { patience: 10, maxAttempts: 40, spread: 1, tuneSeeds: true, acceptEqual: false },
  seedNetwork: { activations: ['tanh'], hidden: 0, recurrent: false, bias: true, weightRange: 2 },
  maxEvaluations: 200_000,
  maxGenerations: 100_000,
  stagnation: 0,
  stagnationEpsilon: 0,
};

/**
 * Pole balancing: tanh only, mostly weight changes with a little topology
 * (DPNV grows its recurrent links through add_outlink / add_inlink), short
 * tuning, strong elitism, restart after 5 stagnant generations.
 */
const POLE: ConfigOverrides = {
  selection: { keep: 5 },
  mutation: {
    activations: ['tanh'],
    operators: {
      mutate_weights: 4,
      add_bias: 1,
      remove_bias: 0.5,
      add_neuron: 0.5,
      add_inlink: 0.5,
      add_outlink: 0.5,
      add_sensorlink: 0.5,
      remove_link: 0.5,
      remove_neuron: 0.5,
      add_sensor: 0.5,
    },
    weightSpread: 2,
  },
  tuning: { patience: 5, maxAttempts: 20, spread: 3, tuneSeeds: false },
  stagnation: 5,
};

/** Boolean functions: a small population, longer tuning, every activation function. */
const BOOLEAN: ConfigOverrides = {
  population: 10,
  selection: { keep: 5 },
  tuning: { patience: 5, maxAttempts: 20, tuneSeeds: false },
};

/** Per-task defaults, measured with `npm run bench -- evolution` (docs/evolution.md). */
export const TASK_CONFIGS: Readonly<Record<string, ConfigOverrides>> = {
  xor: BOOLEAN,
  parity: BOOLEAN,
  'single-pole': POLE,
  dpv: POLE,
  // DPNV needs its topology search (recurrent links): keep half, gentler tuning,
  // restart only when the damping fitness creeps by < 2% for 10 generations.
  dpnv: {
    ...POLE,
    selection: { keep: 10 },
    mutation: { ...POLE.mutation, weightSpread: 1 },
    tuning: { patience: 4, maxAttempts: 16, spread: 1, tuneSeeds: false },
    stagnation: 10,
    stagnationEpsilon: 0.02,
  },
};

/** Merges `overrides` over `base` one level deep. */
export function mergeConfig(base: EngineConfig, overrides: ConfigOverrides = {}): EngineConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    const b = (base as unknown as Record<string, unknown>)[k];
    out[k] =
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof b === 'object' &&
      b !== null
        ? { ...b, ...v }
        : v;
  }
  return out as unknown as EngineConfig;
}

/** The default configuration for a task (base defaults, then the task's), then `overrides`. */
export function defaultConfig(taskId: string, overrides: ConfigOverrides = {}): EngineConfig {
  return validateConfig(mergeConfig(mergeConfig(BASE_CONFIG, TASK_CONFIGS[taskId]), overrides));
}

function bad(why: string): never {
  throw new EvolutionError('INVALID_CONFIG', `invalid engine config: ${why}`);
}

const posInt = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 1;
const nonNeg = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** Checks a configuration; throws `INVALID_CONFIG` naming the first problem. */
export function validateConfig(c: EngineConfig): EngineConfig {
  if (!posInt(c.population) || c.population < 2) bad('population must be an integer >= 2');
  if (c.strategy !== 'generational' && c.strategy !== 'steady-state')
    bad('strategy must be generational or steady-state');
  if (!posInt(c.batch) || c.batch >= c.population)
    bad('batch must be an integer in 1..population-1');
  if (!SELECTION_METHODS.includes(c.selection.method))
    bad(`selection.method must be one of ${SELECTION_METHODS.join(', ')}`);
  if (!posInt(c.selection.keep) || c.selection.keep >= c.population)
    bad('selection.keep must be an integer in 1..population-1');
  if (!posInt(c.selection.tournamentSize))
    bad('selection.tournamentSize must be a positive integer');
  for (const [name, w] of Object.entries(c.mutation.operators)) {
    if (!MUTATION_OPERATORS.includes(name)) bad(`unknown operator ${name}`);
    if (!nonNeg(w)) bad(`operator weight of ${name} must be >= 0`);
  }
  if (!posInt(c.mutation.maxOps)) bad('mutation.maxOps must be a positive integer');
  const acts: readonly Activation[] = c.mutation.activations;
  if (acts.length === 0 || !acts.every(isActivation))
    bad('mutation.activations must list known activations');
  if (!nonNeg(c.tuning.patience) || !nonNeg(c.tuning.maxAttempts))
    bad('tuning.patience and tuning.maxAttempts must be >= 0');
  if (!(c.tuning.spread > 0)) bad('tuning.spread must be > 0');
  if (!Number.isInteger(c.seedNetwork.hidden) || c.seedNetwork.hidden < 0)
    bad('seedNetwork.hidden must be an integer >= 0');
  if (!posInt(c.maxEvaluations) || !posInt(c.maxGenerations))
    bad('maxEvaluations and maxGenerations must be positive integers');
  if (!Number.isInteger(c.stagnation) || c.stagnation < 0)
    bad('stagnation must be an integer >= 0');
  return c;
}
