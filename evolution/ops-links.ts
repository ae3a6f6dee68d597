import { hasSource, badParams, draft, finish, intParam, neuronOf, numParam } from './operator.js';
import type { DrawContext, Operator, OpParams } from './operator.js';
import { sensorRef, toWeight } from './genotype.js';
import type { Genotype } from './genotype.js';
import type { Rng } from './random.js';

const newWeight = (rng: Rng, ctx: DrawContext): number =>
  toWeight(rng.uniform(-ctx.weightRange, ctx.weightRange));

/** Adds a link `[from, to, weight]` (from: neuron or sensor ref; to: neuron). */
function addLink(op: string, g: Genotype, params: OpParams): Genotype {
  const from = intParam(op, params, 0);
  const to = intParam(op, params, 1);
  const weight = toWeight(numParam(op, params, 2));
  if (!hasSource(g, from)) badParams(op, `no source ${from}`);
  const d = draft(g);
  const n = neuronOf(op, d, to);
  if (n.inputs.some((l) => l.from === from)) badParams(op, `link ${from}->${to} exists`);
  n.inputs.push({ from, weight });
  return finish(d);
}

/** Unlinked (source, target) pairs with sources from `sources`, targets from all neurons. */
function freePairs(g: Genotype, sources: readonly number[], target?: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (const n of g.neurons) {
    if (target !== undefined && n.id !== target) continue;
    const taken = new Set(n.inputs.map((l) => l.from));
    for (const s of sources) if (!taken.has(s)) pairs.push([s, n.id]);
  }
  return pairs;
}

const neuronIds = (g: Genotype): number[] => g.neurons.map((n) => n.id);
const sensorRefs = (g: Genotype): number[] => g.sensors.map(sensorRef);

/** `add_outlink [from, to, weight]`: from a random neuron to a neuron it does not feed yet (recurrent allowed). */
export const addOutlink: Operator = {
  name: 'add_outlink',
  draw(g, rng, ctx) {
    const from = rng.pick(g.neurons).id;
    const pairs = freePairs(g, [from]);
    if (pairs.length === 0) return null;
    const [, to] = rng.pick(pairs);
    return [from, to, newWeight(rng, ctx)];
  },
  apply: (g, p) => addLink('add_outlink', g, p),
};

/** `add_inlink [from, to, weight]`: into a random neuron from a sensor or neuron not yet linked. */
export const addInlink: Operator = {
  name: 'add_inlink',
  draw(g, rng, ctx) {
    const to = rng.pick(g.neurons).id;
    const pairs = freePairs(g, [...sensorRefs(g), ...neuronIds(g)], to);
    if (pairs.length === 0) return null;
    const [from] = rng.pick(pairs);
    return [from, to, newWeight(rng, ctx)];
  },
  apply: (g, p) => addLink('add_inlink', g, p),
};

/** `add_sensorlink [sensorRef, to, weight]`: from an existing sensor to a neuron. */
export const addSensorlink: Operator = {
  name: 'add_sensorlink',
  draw(g, rng, ctx) {
    const pairs = freePairs(g, sensorRefs(g));
    if (pairs.length === 0) return null;
    const [from, to] = rng.pick(pairs);
    return [from, to, newWeight(rng, ctx)];
  },
  apply(g, p) {
    if (intParam('add_sensorlink', p, 0) >= 0)
      badParams('add_sensorlink', 'source must be a sensor');
    return addLink('add_sensorlink', g, p);
  },
};

/** `add_actuatorlink [from, actuatorIndex]`: a neuron starts feeding an existing actuator. */
export const addActuatorlink: Operator = {
  name: 'add_actuatorlink',
  draw(g, rng) {
    const pairs: [number, number][] = [];
    for (const a of g.actuators)
      for (const n of g.neurons) if (!a.from.includes(n.id)) pairs.push([n.id, a.index]);
    return pairs.length === 0 ? null : rng.pick(pairs);
  },
  apply(g, p) {
    const from = intParam('add_actuatorlink', p, 0);
    const index = intParam('add_actuatorlink', p, 1);
    const d = draft(g);
    neuronOf('add_actuatorlink', d, from);
    const a = d.actuators.get(index);
    if (a === undefined) badParams('add_actuatorlink', `no actuator ${index}`);
    if (a.includes(from)) badParams('add_actuatorlink', `link ${from}->actuator ${index} exists`);
    a.push(from);
    return finish(d);
  },
};

/**
 * `remove_link [from, to]`: removes a neuron input link (to >= 0) or an
 * actuator input (to = -(index + 1)); never an actuator's last input.
 */
export const removeLink: Operator = {
  name: 'remove_link',
  draw(g, rng) {
    const links: [number, number][] = [];
    for (const n of g.neurons) for (const l of n.inputs) links.push([l.from, n.id]);
    for (const a of g.actuators)
      if (a.from.length > 1) for (const f of a.from) links.push([f, -(a.index + 1)]);
    return links.length === 0 ? null : rng.pick(links);
  },
  apply(g, p) {
    const from = intParam('remove_link', p, 0);
    const to = intParam('remove_link', p, 1);
    const d = draft(g);
    if (to < 0) {
      const a = d.actuators.get(-to - 1);
      if (a === undefined || !a.includes(from))
        badParams('remove_link', `no link ${from}->actuator ${-to - 1}`);
      if (a.length === 1) badParams('remove_link', 'an actuator keeps at least one input');
      a.splice(a.indexOf(from), 1);
    } else {
      const n = neuronOf('remove_link', d, to);
      const i = n.inputs.findIndex((l) => l.from === from);
      if (i < 0) badParams('remove_link', `no link ${from}->${to}`);
      n.inputs.splice(i, 1);
    }
    return finish(d);
  },
};
