import type { Phenotype } from '../phenotype.js';

/** What one fitness evaluation returns. */
export interface EvaluationResult {
  /** Higher is better; a vector for multi-objective tasks (the engine ranks by its first element). */
  readonly fitness: number | readonly number[];
  /** Work done, in the task's unit (simulation steps, cases). */
  readonly cost: number;
  /** True when the network meets the task's success criterion. */
  readonly solved: boolean;
}

/**
 * A task: what a network senses and drives, and how it is scored. `evaluate`
 * must be deterministic given the phenotype and the seed (tasks without
 * randomness ignore the seed), and must not keep state between calls.
 */
export interface Task {
  readonly id: string;
  readonly version: number;
  /** Number of input channels (sensors) offered to networks. */
  readonly sensors: number;
  /** Number of output channels (actuators) read from networks. */
  readonly actuators: number;
  /** Plain parameters, recorded in the run event. */
  readonly params: Readonly<Record<string, unknown>>;
  evaluate(phenotype: Phenotype, seed: number): EvaluationResult;
  /** For custom tasks: the module URL it was loaded from, so workers can load it too. */
  readonly module?: string;
}

/** Scalar view of a fitness (first element of a vector; -Infinity for an empty one). */
export function scalarFitness(f: number | readonly number[]): number {
  return typeof f === 'number' ? f : (f[0] ?? Number.NEGATIVE_INFINITY);
}
