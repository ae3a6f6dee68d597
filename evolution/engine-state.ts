import type { EventId, GenotypeId } from '../crypto/index.js';
import type { EngineConfig } from './config.js';
import type { Genotype } from './genotype.js';
import type { SelectionResult } from './selection.js';

/** One evaluated member of the population. */
export interface Member {
  readonly network: Genotype;
  readonly id: GenotypeId;
  /** The seed or mutation event that introduced this genotype. */
  readonly origin: EventId;
  /** Its evaluation event. */
  readonly evaluation: EventId;
  /** Scalar fitness used for ranking. */
  readonly fitness: number;
  readonly solved: boolean;
}

/**
 * Where a run stands after a generation closed with its selection event:
 * everything needed to breed the next generation. Built by the engine as it
 * goes, or by `restore` from a run's events.
 */
export interface EngineState {
  readonly run: EventId;
  /** The run's task as recorded (rebuild it with `getTask(id, params)` or the custom module). */
  readonly task: {
    readonly id: string;
    readonly version: number;
    readonly params: Readonly<Record<string, unknown>>;
  };
  readonly seed: number;
  readonly config: EngineConfig;
  /** Generation of the last selection event. */
  readonly generation: number;
  /** The candidates that selection considered, in candidate order. */
  readonly population: readonly Member[];
  /** Selection of that generation (survivors and parents of the next offspring). */
  readonly selection: SelectionResult;
  /** The last selection event. */
  readonly previous: EventId;
  /** Fitness evaluations spent so far (sum over evaluation events). */
  readonly evaluations: number;
  /** Best member ever evaluated (a solved one first). */
  readonly champion: Member;
  /** Stagnation tracking (restarts). */
  readonly stall: Stall;
}

/** Best population fitness since the last restart, and generations without improving it. */
export interface Stall {
  readonly best: number;
  readonly since: number;
}

/**
 * Stagnation after a generation closed over `population` (`restarted`: it was
 * a fresh seed generation). Improvements smaller than `epsilon` × |best| do
 * not count, so slow creep on a plateau still triggers a restart.
 */
export function nextStall(
  stall: Stall,
  population: readonly Member[],
  restarted: boolean,
  epsilon = 0,
): Stall {
  let best = Number.NEGATIVE_INFINITY;
  for (const m of population) if (m.fitness > best) best = m.fitness;
  const prior = restarted ? Number.NEGATIVE_INFINITY : stall.best;
  // An improvement must beat the prior best by a fraction `epsilon` of its magnitude.
  const bar = prior === Number.NEGATIVE_INFINITY ? prior : prior + epsilon * Math.abs(prior);
  return best > bar ? { best, since: 0 } : { best: Math.max(prior, best), since: stall.since + 1 };
}

/** True when `a` beats `b` as a champion: solved first, then fitness. */
export function better(a: Member, b: Member): boolean {
  if (a.solved !== b.solved) return a.solved;
  return a.fitness > b.fitness;
}
