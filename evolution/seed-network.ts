import { ACTIVATIONS, isActivation } from './activation.js';
import type { Activation } from './activation.js';
import { EvolutionError } from './errors.js';
import { normalize, sensorRef, toWeight } from './genotype.js';
import type { Genotype, Link, Neuron } from './genotype.js';
import type { Rng } from './random.js';

/** Shape of generation-0 networks. */
export interface SeedNetworkConfig {
  /** Activations the output neurons start with (one drawn per neuron). */
  readonly activations: readonly Activation[];
  /** Hidden neurons between sensors and outputs (0: DXNN's minimal seed). */
  readonly hidden: number;
  /** Hidden neurons also read each other and themselves (a recurrent layer). */
  readonly recurrent: boolean;
  /** Neurons start with a bias. */
  readonly bias: boolean;
  /** Initial weights are uniform in ±this. */
  readonly weightRange: number;
}

/**
 * A generation-0 network: every sensor feeds every first-layer neuron; one
 * output neuron per actuator; with `hidden > 0`, sensors feed the hidden layer
 * and the outputs read both sensors and hidden neurons.
 */
export function seedNetwork(
  inputs: number,
  outputs: number,
  config: SeedNetworkConfig,
  rng: Rng,
): Genotype {
  if (config.activations.length === 0 || !config.activations.every(isActivation)) {
    throw new EvolutionError(
      'INVALID_CONFIG',
      `seed activations must be some of ${ACTIVATIONS.join(', ')}`,
    );
  }
  const w = (): number => toWeight(rng.uniform(-config.weightRange, config.weightRange));
  const bias = (): number | null => (config.bias ? w() : null);
  const sensors = Array.from({ length: inputs }, (_, i) => i);
  const neurons: Neuron[] = [];
  const hiddenIds = Array.from({ length: config.hidden }, (_, i) => outputs + i);
  for (let o = 0; o < outputs; o++) {
    const links: Link[] = sensors.map((s) => ({ from: sensorRef(s), weight: w() }));
    for (const h of hiddenIds) links.push({ from: h, weight: w() });
    neurons.push({ id: o, af: rng.pick(config.activations), bias: bias(), inputs: links });
  }
  for (const h of hiddenIds) {
    const links: Link[] = sensors.map((s) => ({ from: sensorRef(s), weight: w() }));
    if (config.recurrent) for (const k of hiddenIds) links.push({ from: k, weight: w() });
    neurons.push({ id: h, af: rng.pick(config.activations), bias: bias(), inputs: links });
  }
  const actuators = Array.from({ length: outputs }, (_, o) => ({ index: o, from: [o] }));
  return normalize({ inputs, outputs, sensors, neurons, actuators });
}
