import { isActivation } from './activation.js';
import { nextNeuronId, sensorRef, toWeight } from './genotype.js';
import type { Genotype } from './genotype.js';
import {
  badParams,
  draft,
  finish,
  hasSource,
  intParam,
  neuronOf,
  numParam,
  strParam,
} from './operator.js';
import type { Operator, OpParams } from './operator.js';

/**
 * Inserts a new neuron (id = largest id + 1) into the link `from -> to`
 * (to >= 0: a neuron input, the old weight moves to the new neuron's output
 * link; to < 0: actuator `-(to + 1)`). The new neuron reads `from` with weight 1
 * and no bias, so a tanh neuron starts close to a pass-through.
 */
function splitLink(op: string, g: Genotype, params: OpParams): Genotype {
  const from = intParam(op, params, 0);
  const to = intParam(op, params, 1);
  const af = strParam(op, params, 2);
  if (!isActivation(af)) badParams(op, `unknown activation ${af}`);
  const id = nextNeuronId(g);
  const d = draft(g);
  if (to < 0) {
    const a = d.actuators.get(-to - 1);
    if (a === undefined || !a.includes(from)) badParams(op, `no link ${from}->actuator ${-to - 1}`);
    a[a.indexOf(from)] = id;
  } else {
    const n = neuronOf(op, d, to);
    const i = n.inputs.findIndex((l) => l.from === from);
    if (i < 0) badParams(op, `no link ${from}->${to}`);
    n.inputs[i] = { from: id, weight: (n.inputs[i] as { weight: number }).weight };
  }
  d.neurons.set(id, { id, af, bias: null, inputs: [{ from, weight: 1 }] });
  return finish(d);
}

/** `add_neuron [from, to, af]`: splits a uniformly chosen neuron input link. */
export const addNeuron: Operator = {
  name: 'add_neuron',
  draw(g, rng, ctx) {
    const links: [number, number][] = [];
    for (const n of g.neurons) for (const l of n.inputs) links.push([l.from, n.id]);
    if (links.length === 0) return null;
    const [from, to] = rng.pick(links);
    return [from, to, rng.pick(ctx.activations)];
  },
  apply: (g, p) => splitLink('add_neuron', g, p),
};

/** `insplice [from, to, af]`: picks a neuron, then splits one of its input links. */
export const insplice: Operator = {
  name: 'insplice',
  draw(g, rng, ctx) {
    const withInputs = g.neurons.filter((n) => n.inputs.length > 0);
    if (withInputs.length === 0) return null;
    const n = rng.pick(withInputs);
    return [rng.pick(n.inputs).from, n.id, rng.pick(ctx.activations)];
  },
  apply: (g, p) => splitLink('insplice', g, p),
};

/** `outsplice [from, to, af]`: picks a neuron, then splits one of its output links (to a neuron or an actuator). */
export const outsplice: Operator = {
  name: 'outsplice',
  draw(g, rng, ctx) {
    const from = rng.pick(g.neurons).id;
    const outs: number[] = [];
    for (const n of g.neurons) if (n.inputs.some((l) => l.from === from)) outs.push(n.id);
    for (const a of g.actuators) if (a.from.includes(from)) outs.push(-(a.index + 1));
    return outs.length === 0 ? null : [from, rng.pick(outs), rng.pick(ctx.activations)];
  },
  apply(g, p) {
    if (intParam('outsplice', p, 0) < 0) badParams('outsplice', 'source must be a neuron');
    return splitLink('outsplice', g, p);
  },
};

/** Neurons whose removal leaves every actuator with an input. */
function removable(g: Genotype): number[] {
  if (g.neurons.length < 2) return [];
  return g.neurons
    .map((n) => n.id)
    .filter((id) => g.actuators.every((a) => a.from.some((f) => f !== id)));
}

/** `remove_neuron [id]`: removes a neuron and every link to or from it; keeps actuators fed. */
export const removeNeuron: Operator = {
  name: 'remove_neuron',
  draw(g, rng) {
    const ids = removable(g);
    return ids.length === 0 ? null : [rng.pick(ids)];
  },
  apply(g, p) {
    const id = intParam('remove_neuron', p, 0);
    if (!removable(g).includes(id)) badParams('remove_neuron', `neuron ${id} cannot be removed`);
    const d = draft(g);
    d.neurons.delete(id);
    for (const n of d.neurons.values()) n.inputs = n.inputs.filter((l) => l.from !== id);
    for (const [index, from] of d.actuators)
      d.actuators.set(
        index,
        from.filter((f) => f !== id),
      );
    return finish(d);
  },
};

/** `add_sensor [index, to, weight]`: senses a new input channel, linked into a neuron. */
export const addSensor: Operator = {
  name: 'add_sensor',
  draw(g, rng, ctx) {
    const free: number[] = [];
    for (let i = 0; i < g.inputs; i++) if (!g.sensors.includes(i)) free.push(i);
    if (free.length === 0) return null;
    return [
      rng.pick(free),
      rng.pick(g.neurons).id,
      toWeight(rng.uniform(-ctx.weightRange, ctx.weightRange)),
    ];
  },
  apply(g, p) {
    const index = intParam('add_sensor', p, 0);
    const to = intParam('add_sensor', p, 1);
    const weight = toWeight(numParam('add_sensor', p, 2));
    if (index < 0 || index >= g.inputs || hasSource(g, sensorRef(index)))
      badParams('add_sensor', `sensor ${index} unavailable`);
    const d = draft(g);
    neuronOf('add_sensor', d, to).inputs.push({ from: sensorRef(index), weight });
    d.sensors.push(index);
    return finish(d);
  },
};

/** `add_actuator [index, from]`: drives a new output channel from a neuron. */
export const addActuator: Operator = {
  name: 'add_actuator',
  draw(g, rng) {
    const free: number[] = [];
    for (let i = 0; i < g.outputs; i++) if (!g.actuators.some((a) => a.index === i)) free.push(i);
    return free.length === 0 ? null : [rng.pick(free), rng.pick(g.neurons).id];
  },
  apply(g, p) {
    const index = intParam('add_actuator', p, 0);
    const from = intParam('add_actuator', p, 1);
    if (index < 0 || index >= g.outputs || g.actuators.some((a) => a.index === index))
      badParams('add_actuator', `actuator ${index} unavailable`);
    const d = draft(g);
    neuronOf('add_actuator', d, from);
    d.actuators.set(index, [from]);
    return finish(d);
  },
};
