import type { Genotype } from './genotype.js';

/**
 * A runnable network. `activate` reads one input vector and returns the
 * output vector; the returned array is reused (overwritten by the next call),
 * so a step allocates nothing. Recurrent state persists between calls until
 * `reset`.
 */
export interface Phenotype {
  readonly inputs: number;
  readonly outputs: number;
  activate(input: ArrayLike<number>): Float64Array;
  reset(): void;
}

/**
 * The order neurons are updated in within a step, as indices into
 * `g.neurons`. Kahn's algorithm over neuron-to-neuron links (self-links
 * ignored), taking the smallest id among ready neurons; when only cycles
 * remain, the smallest remaining id goes next. Updating neurons in place in
 * this order defines the semantics: a link from a neuron earlier in the order
 * carries this step's value, any other (recurrent) link last step's value.
 */
export function evaluationOrder(g: Genotype): number[] {
  const n = g.neurons.length;
  const index = new Map<number, number>();
  g.neurons.forEach((x, i) => index.set(x.id, i));
  const pending = new Array<number>(n).fill(0);
  const readers: number[][] = g.neurons.map(() => []);
  g.neurons.forEach((x, i) => {
    for (const l of x.inputs) {
      if (l.from < 0 || l.from === x.id) continue;
      const j = index.get(l.from) as number;
      pending[i] = (pending[i] as number) + 1;
      (readers[j] as number[]).push(i);
    }
  });
  const done = new Array<boolean>(n).fill(false);
  const order: number[] = [];
  while (order.length < n) {
    // Neurons are sorted by id, so the first ready index is the smallest ready id.
    let next = -1;
    for (let i = 0; i < n; i++) {
      if (!done[i] && pending[i] === 0) {
        next = i;
        break;
      }
    }
    if (next < 0) next = done.indexOf(false);
    done[next] = true;
    order.push(next);
    for (const r of readers[next] as number[]) pending[r] = (pending[r] as number) - 1;
  }
  return order;
}
