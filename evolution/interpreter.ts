import { activationFunction } from './activation.js';
import { sensorIndex } from './genotype.js';
import type { Genotype } from './genotype.js';
import { evaluationOrder } from './phenotype.js';
import type { Phenotype } from './phenotype.js';

/**
 * The reference phenotype: a plain loop over the network, with exactly the
 * semantics of {@link evaluationOrder}. Slower than {@link compile}; kept as
 * the definition the compiler is tested against.
 */
export function interpret(g: Genotype): Phenotype {
  const order = evaluationOrder(g);
  const slot = new Map<number, number>(); // neuron id -> state slot (position in order)
  order.forEach((i, pos) => slot.set((g.neurons[i] as Genotype['neurons'][number]).id, pos));
  const steps = order.map((i) => {
    const n = g.neurons[i] as Genotype['neurons'][number];
    return {
      bias: n.bias ?? 0,
      f: activationFunction(n.af),
      sources: n.inputs.map((l) =>
        l.from < 0 ? sensorIndex(l.from) : (slot.get(l.from) as number),
      ),
      fromSensor: n.inputs.map((l) => l.from < 0),
      weights: n.inputs.map((l) => l.weight),
    };
  });
  const acts = g.actuators.map((a) => ({
    index: a.index,
    slots: a.from.map((f) => slot.get(f) as number),
  }));
  const o = new Float64Array(order.length);
  const out = new Float64Array(g.outputs);
  return {
    inputs: g.inputs,
    outputs: g.outputs,
    activate(input) {
      for (let p = 0; p < steps.length; p++) {
        const s = steps[p] as (typeof steps)[number];
        let x = s.bias;
        for (let k = 0; k < s.weights.length; k++) {
          const v =
            s.fromSensor[k] === true
              ? (input[s.sources[k] as number] as number)
              : (o[s.sources[k] as number] as number);
          x = x + (s.weights[k] as number) * v;
        }
        o[p] = s.f(x);
      }
      for (const a of acts) {
        let sum = 0;
        for (const q of a.slots) sum = sum + (o[q] as number);
        out[a.index] = sum;
      }
      return out;
    },
    reset() {
      o.fill(0);
    },
  };
}
