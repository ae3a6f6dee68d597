import type { Genotype } from './genotype.js';

/** NEAT compatibility coefficients. */
export interface CompatibilityConfig {
  /** Distance below which two genotypes share a species. */
  readonly threshold: number;
  /** Weight of links present in only one genotype (per link, normalized by the larger link count). */
  readonly disjoint: number;
  /** Weight of neurons present in only one genotype (normalized by the larger neuron count). */
  readonly nodes: number;
  /** Weight of the mean absolute weight difference of shared links. */
  readonly weights: number;
}

/**
 * NEAT-style compatibility distance over links (keyed by source and target
 * ids), neurons and weights. Node ids are content-derived (largest + 1), so
 * related genotypes share ids the way NEAT's innovation numbers do.
 */
export function compatibility(a: Genotype, b: Genotype, c: CompatibilityConfig): number {
  const links = new Map<string, number>();
  let na = 0;
  for (const n of a.neurons)
    for (const l of n.inputs) {
      links.set(`${l.from}>${n.id}`, l.weight);
      na++;
    }
  let nb = 0;
  let shared = 0;
  let wdiff = 0;
  for (const n of b.neurons)
    for (const l of n.inputs) {
      nb++;
      const w = links.get(`${l.from}>${n.id}`);
      if (w !== undefined) {
        shared++;
        wdiff += Math.abs(w - l.weight);
      }
    }
  const disjoint = na + nb - 2 * shared;
  const ids = new Set(a.neurons.map((n) => n.id));
  let common = 0;
  for (const n of b.neurons) if (ids.has(n.id)) common++;
  const nodeDiff = a.neurons.length + b.neurons.length - 2 * common;
  const N = Math.max(na, nb, 1);
  const M = Math.max(a.neurons.length, b.neurons.length, 1);
  return (
    (c.disjoint * disjoint) / N +
    (c.nodes * nodeDiff) / M +
    c.weights * (shared === 0 ? 0 : wdiff / shared)
  );
}

/**
 * Assigns species greedily in the given order: each genotype joins the first
 * species whose founder is within the threshold, else founds a new one.
 * Returns the species index of each genotype.
 */
export function speciate(genotypes: readonly Genotype[], c: CompatibilityConfig): number[] {
  const founders: Genotype[] = [];
  return genotypes.map((g) => {
    for (let s = 0; s < founders.length; s++)
      if (compatibility(g, founders[s] as Genotype, c) < c.threshold) return s;
    founders.push(g);
    return founders.length - 1;
  });
}
