import { encodeCanonical, taggedHash, toHex } from '../crypto/index.js';
import type { GenotypeId } from '../crypto/index.js';
import { isActivation } from './activation.js';
import type { Activation } from './activation.js';
import { EvolutionError } from './errors.js';

/**
 * A TWEANN genotype (DXNN style): sensors (task input channels), neurons with
 * an activation function, an optional bias and weighted input links
 * (recurrent links allowed, self-links included), and actuators (task output
 * channels) that sum the outputs of the neurons feeding them.
 *
 * Node references are plain integers: a neuron id is >= 0; as a link source,
 * `-(i + 1)` is the sensor of input channel `i`; as a link target in operator
 * parameters, `-(j + 1)` is the actuator of output channel `j`.
 *
 * Genotypes are immutable values kept in normal form (everything sorted,
 * weights rounded to float32), so structural equality is canonical equality.
 */
export interface Link {
  /** Source: a neuron id (>= 0) or a sensor `-(index + 1)`. */
  readonly from: number;
  readonly weight: number;
}

/** A neuron: activation, optional bias, weighted inputs sorted by source. */
export interface Neuron {
  readonly id: number;
  readonly af: Activation;
  readonly bias: number | null;
  readonly inputs: readonly Link[];
}

/** An actuator: output channel `index`, the sum of the listed neurons' outputs. */
export interface Actuator {
  readonly index: number;
  readonly from: readonly number[];
}

/** A whole network. */
export interface Genotype {
  /** Number of input channels the task offers (the morphology). */
  readonly inputs: number;
  /** Number of output channels the task reads. */
  readonly outputs: number;
  /** Input channels this genotype senses, ascending. */
  readonly sensors: readonly number[];
  /** Neurons by ascending id. */
  readonly neurons: readonly Neuron[];
  /** Actuators by ascending index. */
  readonly actuators: readonly Actuator[];
}

/** Canonical plain-value form of a genotype (what `seed` events carry). */
export interface CanonicalGenotype {
  readonly v: 1;
  readonly inputs: number;
  readonly outputs: number;
  readonly sensors: readonly number[];
  /** `[id, af, bias | null, [[from, weight], ...]]`, by id. */
  readonly neurons: readonly (readonly [
    number,
    string,
    number | null,
    readonly (readonly [number, number])[],
  ])[];
  /** `[index, [neuronId, ...]]`, by index. */
  readonly actuators: readonly (readonly [number, readonly number[]])[];
}

/** Largest magnitude a weight or bias may take (DXNN saturates the same way). */
export const WEIGHT_LIMIT = 10;

/** Rounds to float32 and saturates at ±{@link WEIGHT_LIMIT}: the only way weights enter a genotype. */
export function toWeight(x: number): number {
  const c = x > WEIGHT_LIMIT ? WEIGHT_LIMIT : x < -WEIGHT_LIMIT ? -WEIGHT_LIMIT : x;
  const f = Math.fround(c);
  return f === 0 ? 0 : f; // no -0: one value, one encoding
}

/** Sensor reference used as a link source. */
export const sensorRef = (index: number): number => -(index + 1);
/** Input channel of a negative source reference. */
export const sensorIndex = (ref: number): number => -ref - 1;

/** Sorts every part of a genotype into normal form (returns a new value). */
export function normalize(g: Genotype): Genotype {
  return {
    inputs: g.inputs,
    outputs: g.outputs,
    sensors: [...g.sensors].sort((a, b) => a - b),
    neurons: [...g.neurons]
      .map((n) => ({ ...n, inputs: [...n.inputs].sort((a, b) => a.from - b.from) }))
      .sort((a, b) => a.id - b.id),
    actuators: [...g.actuators]
      .map((a) => ({ index: a.index, from: [...a.from].sort((x, y) => x - y) }))
      .sort((a, b) => a.index - b.index),
  };
}

/** The canonical plain value of `g` (sorted; weights already float32). */
export function toCanonical(g: Genotype): CanonicalGenotype {
  return {
    v: 1,
    inputs: g.inputs,
    outputs: g.outputs,
    sensors: g.sensors.slice(),
    neurons: g.neurons.map(
      (n) => [n.id, n.af, n.bias, n.inputs.map((l) => [l.from, l.weight] as const)] as const,
    ),
    actuators: g.actuators.map((a) => [a.index, a.from.slice()] as const),
  };
}

function invalid(message: string): never {
  throw new EvolutionError('INVALID_GENOTYPE', `invalid genotype: ${message}`);
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const isWeight = (x: unknown): x is number =>
  typeof x === 'number' &&
  Number.isFinite(x) &&
  Math.abs(x) <= WEIGHT_LIMIT &&
  Math.fround(x) === x &&
  !Object.is(x, -0);

/**
 * Parses and validates a canonical genotype. Throws `INVALID_GENOTYPE` on any
 * deviation, including a value that is valid but not in normal form (so that
 * one network has exactly one canonical value).
 */
export function fromCanonical(value: unknown): Genotype {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('not an object');
  const c = value as Record<string, unknown>;
  if (c.v !== 1) invalid(`unsupported version ${String(c.v)}`);
  const { inputs, outputs, sensors, neurons, actuators } = c;
  if (!isInt(inputs) || inputs < 1 || !isInt(outputs) || outputs < 1)
    invalid('inputs and outputs must be positive integers');
  if (!Array.isArray(sensors) || !Array.isArray(neurons) || !Array.isArray(actuators))
    invalid('sensors, neurons, actuators must be arrays');
  const g: Genotype = {
    inputs,
    outputs,
    sensors: sensors.map((s) => (isInt(s) ? s : invalid('sensor is not an integer'))),
    neurons: neurons.map((n): Neuron => {
      if (!Array.isArray(n) || n.length !== 4) invalid('neuron must be [id, af, bias, inputs]');
      const [id, af, bias, links] = n as unknown[];
      if (!isInt(id)) invalid('neuron id is not an integer');
      if (!isActivation(af)) invalid(`neuron ${id} has unknown activation ${String(af)}`);
      if (bias !== null && !isWeight(bias)) invalid(`neuron ${id} has a bad bias`);
      if (!Array.isArray(links)) invalid(`neuron ${id} inputs must be an array`);
      return {
        id,
        af,
        bias,
        inputs: links.map((l): Link => {
          if (!Array.isArray(l) || l.length !== 2 || !isInt(l[0]) || !isWeight(l[1]))
            invalid(`neuron ${id} has a bad link`);
          return { from: l[0], weight: l[1] };
        }),
      };
    }),
    actuators: actuators.map((a): Actuator => {
      if (!Array.isArray(a) || a.length !== 2 || !isInt(a[0]) || !Array.isArray(a[1]))
        invalid('actuator must be [index, [from...]]');
      return {
        index: a[0],
        from: (a[1] as unknown[]).map((f) =>
          isInt(f) ? f : invalid('actuator source is not an integer'),
        ),
      };
    }),
  };
  validateGenotype(g);
  const normal = normalize(g);
  if (JSON.stringify(toCanonical(normal)) !== JSON.stringify(toCanonical(g)))
    invalid('not in normal form (sort order)');
  return g;
}

/**
 * Checks referential integrity: unique ids, links only between existing nodes,
 * no duplicate links, at least one neuron, every actuator fed by at least one
 * neuron. Throws `INVALID_GENOTYPE`.
 */
export function validateGenotype(g: Genotype): void {
  const sensors = new Set<number>();
  for (const s of g.sensors) {
    if (!isInt(s) || s < 0 || s >= g.inputs) invalid(`sensor ${s} outside [0, ${g.inputs})`);
    if (sensors.has(s)) invalid(`duplicate sensor ${s}`);
    sensors.add(s);
  }
  if (g.neurons.length === 0) invalid('no neurons');
  const ids = new Set<number>();
  for (const n of g.neurons) {
    if (!isInt(n.id) || n.id < 0) invalid(`neuron id ${n.id} must be a non-negative integer`);
    if (ids.has(n.id)) invalid(`duplicate neuron ${n.id}`);
    ids.add(n.id);
  }
  for (const n of g.neurons) {
    const seen = new Set<number>();
    for (const l of n.inputs) {
      if (l.from < 0 ? !sensors.has(sensorIndex(l.from)) : !ids.has(l.from))
        invalid(`neuron ${n.id} reads missing node ${l.from}`);
      if (seen.has(l.from)) invalid(`neuron ${n.id} has a duplicate link from ${l.from}`);
      if (!isWeight(l.weight)) invalid(`neuron ${n.id} has a bad weight`);
      seen.add(l.from);
    }
  }
  const outs = new Set<number>();
  for (const a of g.actuators) {
    if (!isInt(a.index) || a.index < 0 || a.index >= g.outputs)
      invalid(`actuator ${a.index} outside [0, ${g.outputs})`);
    if (outs.has(a.index)) invalid(`duplicate actuator ${a.index}`);
    outs.add(a.index);
    if (a.from.length === 0) invalid(`actuator ${a.index} has no input`);
    if (new Set(a.from).size !== a.from.length)
      invalid(`actuator ${a.index} has a duplicate input`);
    for (const f of a.from)
      if (!ids.has(f)) invalid(`actuator ${a.index} reads missing neuron ${f}`);
  }
}

const ids = new WeakMap<Genotype, GenotypeId>();

/** Content address: hex of taggedHash('evoledger/genotype/v1', canonical CBOR). */
export function genotypeId(g: Genotype): GenotypeId {
  let id = ids.get(g);
  if (id === undefined) {
    id = toHex(taggedHash('evoledger/genotype/v1', encodeCanonical(toCanonical(g)))) as GenotypeId;
    ids.set(g, id);
  }
  return id;
}

/** Number of neurons (DXNN's "size", which drives op counts and neural cost). */
export function networkSize(g: Genotype): number {
  return g.neurons.length;
}

/** Total number of weighted links plus biases. */
export function parameterCount(g: Genotype): number {
  let n = 0;
  for (const x of g.neurons) n += x.inputs.length + (x.bias === null ? 0 : 1);
  return n;
}

/** The next free neuron id: one more than the largest (content-derived, so history-free). */
export function nextNeuronId(g: Genotype): number {
  let max = -1;
  for (const n of g.neurons) if (n.id > max) max = n.id;
  return max + 1;
}
