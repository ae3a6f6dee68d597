import { compile, phenotypeFromSource, phenotypeSource, phenotypeWeights } from './compiler.js';
import type { Genotype } from './genotype.js';
import type { AppliedOp } from './operator.js';
import { evaluationOrder } from './phenotype.js';
import { perturbSchedule } from './ops-weights.js';
import { attemptSeed, nextSpread, perturbNetwork } from './perturb.js';
import type { Task } from './tasks/task.js';
import { scalarFitness } from './tasks/task.js';

/** Memetic weight tuning (DXNN exoself) settings. */
export interface TuningConfig {
  /** Stop after this many consecutive rejected attempts (0: no tuning). */
  readonly patience: number;
  /** Hard cap on attempts per genotype. */
  readonly maxAttempts: number;
  /** Initial perturbation spread (annealed: ×1.5 after a success, ×0.8 after a failure). */
  readonly spread: number;
  /** Tune generation-0 networks too. */
  readonly tuneSeeds: boolean;
  /** Accept attempts that tie the best fitness (neutral drift across plateaus). */
  readonly acceptEqual: boolean;
}

/** One unit of evaluation work: evaluate a genotype, then tune it. */
export interface DevelopJob {
  readonly genotype: Genotype;
  /** Seed passed to `task.evaluate`. */
  readonly evalSeed: number;
  /** Tuning seed; attempts draw from `attemptSeed(seed, j)`. */
  readonly tuneSeed: number;
  readonly tuning: TuningConfig | null;
}

/** What developing a genotype produced. */
export interface DevelopResult {
  /** Accepted tuning attempts, ascending (empty: the genotype is unchanged). */
  readonly accepted: readonly number[];
  readonly fitness: number | readonly number[];
  readonly cost: number;
  readonly solved: boolean;
  /** Fitness evaluations spent: 1 + tuning attempts. */
  readonly evaluations: number;
}

/** The `perturb` op recording a tuning session, or null when nothing was accepted. */
export function tuningOp(job: DevelopJob, result: DevelopResult): AppliedOp | null {
  if (result.accepted.length === 0 || job.tuning === null) return null;
  return ['perturb', job.tuneSeed, Math.fround(job.tuning.spread), ...result.accepted];
}

/**
 * Evaluates a genotype, then (DXNN exoself) perturbs its weights with an
 * annealed spread, keeping each perturbation that improves fitness (or first
 * solves), until `patience` consecutive failures, `maxAttempts`, or a solve.
 * Every attempt is a fitness evaluation and is counted.
 */
export function develop(task: Task, job: DevelopJob): DevelopResult {
  let best = task.evaluate(compile(job.genotype), job.evalSeed);
  let cost = best.cost;
  let evaluations = 1;
  const accepted: number[] = [];
  const t = job.tuning;
  if (t !== null && !best.solved && t.patience > 0) {
    const schedule = perturbSchedule(Math.fround(t.spread));
    let spread = Math.fround(t.spread);
    let g = job.genotype;
    let bestFit = scalarFitness(best.fitness);
    let fails = 0;
    // Attempts change weights only: generate the code once, swap the weights.
    const order = evaluationOrder(g);
    const { source } = phenotypeSource(g);
    for (let j = 0; j < t.maxAttempts && fails < t.patience; j++) {
      const cand = perturbNetwork(g, attemptSeed(job.tuneSeed, j), spread);
      const r = task.evaluate(
        phenotypeFromSource(source, phenotypeWeights(cand, order)),
        job.evalSeed,
      );
      cost += r.cost;
      evaluations++;
      const f = scalarFitness(r.fitness);
      const ok =
        (r.solved && !best.solved) ||
        f > bestFit ||
        (t.acceptEqual && f === bestFit && !best.solved);
      if (ok) {
        g = cand;
        best = r;
        bestFit = f;
        accepted.push(j);
        fails = 0;
      } else {
        fails++;
      }
      spread = nextSpread(schedule, spread, ok);
      if (best.solved) break;
    }
  }
  return { accepted, fitness: best.fitness, cost, solved: best.solved, evaluations };
}
