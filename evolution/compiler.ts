import { ActivationExpressions } from './activation.js';
import { sensorIndex } from './genotype.js';
import type { Genotype } from './genotype.js';
import { evaluationOrder } from './phenotype.js';
import type { Phenotype } from './phenotype.js';

/**
 * Generated JavaScript source of a phenotype factory taking the parameter
 * vector `w`: one straight-line statement per neuron, state in a Float64Array
 * closed over, no allocation per step. The source depends on the topology
 * only (weights and biases are read from `w`), so networks that differ only
 * in weights (every tuning attempt) share one compiled function. Same
 * arithmetic, in the same order, as {@link interpret}.
 */
export function phenotypeSource(g: Genotype): { source: string; weights: Float64Array } {
  const order = evaluationOrder(g);
  const slot = new Map<number, number>();
  order.forEach((i, pos) => slot.set((g.neurons[i] as Genotype['neurons'][number]).id, pos));
  let w = 0;
  const lines: string[] = [];
  order.forEach((i, pos) => {
    const n = g.neurons[i] as Genotype['neurons'][number];
    let expr = n.bias === null ? '0' : `w[${w++}]`;
    for (const l of n.inputs) {
      const v = l.from < 0 ? `i[${sensorIndex(l.from)}]` : `o[${slot.get(l.from) as number}]`;
      expr += ` + w[${w++}] * ${v}`;
    }
    lines.push(`x = ${expr}; o[${pos}] = ${ActivationExpressions[n.af]};`);
  });
  for (const a of g.actuators) {
    lines.push(
      `out[${a.index}] = 0${a.from.map((f) => ` + o[${slot.get(f) as number}]`).join('')};`,
    );
  }
  const source = [
    '"use strict";',
    `const o = new Float64Array(${order.length});`,
    `const out = new Float64Array(${g.outputs});`,
    'function activate(i) {',
    '  let x;',
    ...lines.map((l) => `  ${l}`),
    '  return out;',
    '}',
    // Straight-line stores beat a fill() call for the small state vectors networks have.
    order.length <= 64
      ? `function reset() { ${order.map((_, k) => `o[${k}] = 0;`).join(' ')} }`
      : 'function reset() { o.fill(0); }',
    `return { inputs: ${g.inputs}, outputs: ${g.outputs}, activate, reset };`,
  ].join('\n');
  return { source, weights: phenotypeWeights(g, order) };
}

/**
 * The parameter vector `w` of {@link phenotypeSource}: per neuron in
 * evaluation order, its bias (if any), then its input weights. A network
 * with the same topology as the one a source was generated from (every
 * tuning attempt) reuses that source with its own weights.
 */
export function phenotypeWeights(g: Genotype, order: readonly number[]): Float64Array {
  const weights: number[] = [];
  for (const i of order) {
    const n = g.neurons[i] as Genotype['neurons'][number];
    if (n.bias !== null) weights.push(n.bias);
    for (const l of n.inputs) weights.push(l.weight);
  }
  return Float64Array.from(weights);
}

type Factory = (w: Float64Array) => Phenotype;

const CACHE_LIMIT = 512;
const factories = new Map<string, Factory>();

/** The compiled factory of `source` (cached by source text, least recently used evicted). */
function factoryOf(source: string): Factory {
  let f = factories.get(source);
  if (f !== undefined) {
    factories.delete(source);
    factories.set(source, f);
    return f;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  f = new Function('w', source) as Factory;
  factories.set(source, f);
  if (factories.size > CACHE_LIMIT) factories.delete(factories.keys().next().value as string);
  return f;
}

/** Builds a phenotype from the output of {@link phenotypeSource}. */
export function phenotypeFromSource(source: string, weights: Float64Array): Phenotype {
  return factoryOf(source)(weights);
}

/** Compiles `g` into straight-line JavaScript (see {@link phenotypeSource}). */
export function compile(g: Genotype): Phenotype {
  const { source, weights } = phenotypeSource(g);
  return phenotypeFromSource(source, weights);
}
