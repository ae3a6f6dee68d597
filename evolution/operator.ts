import type { Activation } from './activation.js';
import { EvolutionError } from './errors.js';
import { normalize, sensorIndex } from './genotype.js';
import type { Actuator, Genotype, Link, Neuron } from './genotype.js';
import type { Rng } from './random.js';

/** Drawn parameters of one operator: numbers and strings only, compact. */
export type OpParams = readonly (number | string)[];

/** One applied operator as recorded in a mutation event: `[name, ...params]`. */
export type AppliedOp = readonly [string, ...(number | string)[]];

/** What drawing needs besides the genotype and the random stream. */
export interface DrawContext {
  /** Activation functions new or mutated neurons may take. */
  readonly activations: readonly Activation[];
  /** New link weights and biases are uniform in ±this. */
  readonly weightRange: number;
  /** Spread of `mutate_weights` perturbations (annealed per draw). */
  readonly weightSpread: number;
}

/**
 * A mutation operator, split so that a recorded `[name, ...params]` replays
 * exactly: `draw` decides (the only place randomness is used), `apply` is a
 * pure function of the genotype and the parameters.
 */
export interface Operator {
  readonly name: string;
  /** Draws parameters, or null when the operator cannot apply to `g`. */
  draw(g: Genotype, rng: Rng, ctx: DrawContext): OpParams | null;
  /** Applies drawn parameters; throws `INVALID_OPERATOR_PARAMS` if they do not fit `g`. */
  apply(g: Genotype, params: OpParams): Genotype;
}

/** Throws the error every `apply` uses for parameters that do not fit. */
export function badParams(op: string, why: string): never {
  throw new EvolutionError('INVALID_OPERATOR_PARAMS', `${op}: ${why}`);
}

/** Integer parameter `i` of `params`. */
export function intParam(op: string, params: OpParams, i: number): number {
  const v = params[i];
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    badParams(op, `parameter ${i} must be an integer`);
  return v;
}

/** Finite number parameter `i` of `params`. */
export function numParam(op: string, params: OpParams, i: number): number {
  const v = params[i];
  if (typeof v !== 'number' || !Number.isFinite(v))
    badParams(op, `parameter ${i} must be a finite number`);
  return v;
}

/** String parameter `i` of `params`. */
export function strParam(op: string, params: OpParams, i: number): string {
  const v = params[i];
  if (typeof v !== 'string') badParams(op, `parameter ${i} must be a string`);
  return v;
}

/** A mutable working copy used inside `apply`. */
interface Draft {
  inputs: number;
  outputs: number;
  sensors: number[];
  neurons: Map<number, { id: number; af: Activation; bias: number | null; inputs: Link[] }>;
  actuators: Map<number, number[]>;
}

/** Opens a mutable draft of `g`. */
export function draft(g: Genotype): Draft {
  return {
    inputs: g.inputs,
    outputs: g.outputs,
    sensors: g.sensors.slice(),
    neurons: new Map(
      g.neurons.map((n) => [n.id, { id: n.id, af: n.af, bias: n.bias, inputs: n.inputs.slice() }]),
    ),
    actuators: new Map(g.actuators.map((a) => [a.index, a.from.slice()])),
  };
}

/** Closes a draft into a normalized genotype. */
export function finish(d: Draft): Genotype {
  const neurons: Neuron[] = [...d.neurons.values()];
  const actuators: Actuator[] = [...d.actuators.entries()].map(([index, from]) => ({
    index,
    from,
  }));
  return normalize({
    inputs: d.inputs,
    outputs: d.outputs,
    sensors: d.sensors,
    neurons,
    actuators,
  });
}

/** The neuron `id` of a draft, or a parameter error. */
export function neuronOf(
  op: string,
  d: Draft,
  id: number,
): Draft['neurons'] extends Map<number, infer N> ? N : never {
  const n = d.neurons.get(id);
  if (n === undefined) badParams(op, `no neuron ${id}`);
  return n;
}

/** True when `from` (neuron id or sensor ref) exists in `g`. */
export function hasSource(g: Genotype, from: number): boolean {
  return from < 0 ? g.sensors.includes(sensorIndex(from)) : g.neurons.some((n) => n.id === from);
}
