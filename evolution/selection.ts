import type { GenotypeId } from '../crypto/index.js';
import { EvolutionError } from './errors.js';
import type { Genotype } from './genotype.js';
import type { Rng } from './random.js';
import { speciate } from './speciation.js';
import type { CompatibilityConfig } from './speciation.js';

/** Selection methods. */
export const SELECTION_METHODS = ['competition', 'tournament', 'top3', 'speciation'] as const;
/** One of {@link SELECTION_METHODS}. */
export type SelectionMethod = (typeof SELECTION_METHODS)[number];

/** Selection settings. */
export interface SelectionConfig {
  readonly method: SelectionMethod;
  /** Survivors per generation in the generational strategy. */
  readonly keep: number;
  /** Tournament size of `tournament`. */
  readonly tournamentSize: number;
  /** DXNN neural-cost exponent: competition ranks by fitness / neurons^efficiency. */
  readonly efficiency: number;
  readonly compatibility: CompatibilityConfig;
}

/** One evaluated member of a population, as selection sees it. */
export interface Candidate {
  readonly genotype: GenotypeId;
  readonly network: Genotype;
  /** Scalar fitness, higher is better. */
  readonly fitness: number;
}

/** Survivors and the parents of the next offspring, as indices into the candidates. */
export interface SelectionResult {
  readonly survivors: readonly number[];
  /** One entry per offspring: [parent, mate or null]. */
  readonly parents: readonly (readonly [number, number | null])[];
  readonly species: number;
}

/** Indices sorted by `score` descending, ties by index (deterministic). */
function ranked(scores: readonly number[]): number[] {
  return scores
    .map((_, i) => i)
    .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

/** Splits `total` proportionally to `weights` (largest remainder, ties by index). */
export function allot(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + Math.max(0, b), 0);
  const w =
    sum > 0 ? weights.map((x) => Math.max(0, x) / sum) : weights.map(() => 1 / weights.length);
  const counts = w.map((x) => Math.floor(x * total));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = w
    .map((x, i) => [x * total - Math.floor(x * total), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) {
    const i = (order[k] as readonly [number, number])[1];
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

const f = (cs: readonly Candidate[]): number[] =>
  cs.map((c) => (Number.isFinite(c.fitness) ? c.fitness : -1e300));

/**
 * Pure selection: which candidates survive (`keep` of them) and who parents
 * each of the `offspring` children. Same inputs and same random stream give
 * the same result, so replay can recompute it.
 *
 * - `competition` (DXNN): rank by fitness / neurons^efficiency; the top `keep`
 *   survive; offspring are allotted to survivors in proportion to that score.
 * - `tournament`: the top `keep` survive; each parent is the best of
 *   `tournamentSize` uniform draws.
 * - `top3`: the top `keep` survive; parents uniform among the best three.
 * - `speciation` (NEAT): species by compatibility distance; fitness shared
 *   within a species; each species' champion survives first; offspring
 *   allotted to species by summed shared fitness, parents uniform in the
 *   better half of their species.
 */
export function select(
  method: SelectionMethod,
  candidates: readonly Candidate[],
  config: SelectionConfig & { readonly offspring: number; readonly keep: number },
  rng: Rng,
): SelectionResult {
  const n = candidates.length;
  if (n === 0) throw new EvolutionError('INVALID_CONFIG', 'selection needs at least one candidate');
  const keep = Math.min(config.keep, n);
  const fit = f(candidates);
  const byFitness = ranked(fit);
  const parents: [number, number | null][] = [];
  switch (method) {
    case 'competition': {
      const min = Math.min(...fit);
      const shift = min < 0 ? -min : 0;
      const score = candidates.map(
        (c, i) =>
          ((fit[i] as number) + shift) / Math.pow(c.network.neurons.length, config.efficiency),
      );
      const order = ranked(score);
      const survivors = order.slice(0, keep);
      const counts = allot(
        survivors.map((i) => score[i] as number),
        config.offspring,
      );
      survivors.forEach((s, k) => {
        for (let c = 0; c < (counts[k] as number); c++) parents.push([s, null]);
      });
      return { survivors, parents, species: 1 };
    }
    case 'tournament': {
      for (let k = 0; k < config.offspring; k++) {
        let best = rng.int(0, n - 1);
        for (let t = 1; t < config.tournamentSize; t++) {
          const c = rng.int(0, n - 1);
          if ((fit[c] as number) > (fit[best] as number) || (fit[c] === fit[best] && c < best))
            best = c;
        }
        parents.push([best, null]);
      }
      return { survivors: byFitness.slice(0, keep), parents, species: 1 };
    }
    case 'top3': {
      const top = byFitness.slice(0, 3);
      for (let k = 0; k < config.offspring; k++) parents.push([rng.pick(top), null]);
      return { survivors: byFitness.slice(0, keep), parents, species: 1 };
    }
    case 'speciation': {
      const species = speciate(
        byFitness.map((i) => (candidates[i] as Candidate).network),
        config.compatibility,
      );
      const groups: number[][] = [];
      byFitness.forEach((i, k) => {
        const s = species[k] as number;
        (groups[s] ??= []).push(i);
      });
      const min = Math.min(...fit);
      const shift = min < 0 ? -min : 0;
      // Fitness sharing: each member's fitness divided by its species size; a species' share is their sum.
      const share = groups.map(
        (g) => g.reduce((a, i) => a + (fit[i] as number) + shift, 0) / g.length,
      );
      const counts = allot(share, config.offspring);
      const survivors: number[] = [];
      for (const g of groups) if (survivors.length < keep) survivors.push(g[0] as number);
      for (const i of byFitness)
        if (survivors.length < keep && !survivors.includes(i)) survivors.push(i);
      groups.forEach((g, s) => {
        const pool = g.slice(0, Math.max(1, Math.ceil(g.length / 2)));
        for (let c = 0; c < (counts[s] as number); c++) parents.push([rng.pick(pool), null]);
      });
      return { survivors, parents, species: groups.length };
    }
    default:
      throw new EvolutionError('UNKNOWN_SELECTION', `unknown selection method "${String(method)}"`);
  }
}
