import type { EventId, GenotypeId } from '../crypto/index.js';
import type { AppliedOp, RunBody, TaskRef } from '../ledger/index.js';
import type { Fitness } from './fitness.js';

/** A network as an engine holds it; opaque to the projections. */
export type ReplayNetwork = object;

/** A network and its content address. */
export interface ReplayGenotype {
  readonly id: GenotypeId;
  readonly network: ReplayNetwork;
}

/** One recorded evaluation, as a selection considered it. */
export interface ConsideredEvaluation {
  readonly event: EventId;
  readonly genotype: GenotypeId;
  readonly fitness: Fitness;
  readonly seed: number;
  readonly solved: boolean;
}

/** What re-running a selection needs: the run, the recorded evaluations, the previous survivors. */
export interface SelectionReplayInput {
  readonly run: RunBody | undefined;
  readonly runId: EventId;
  readonly generation: number;
  readonly method: string;
  /** The evaluation events the selection names in its deps, in deps order. */
  readonly considered: readonly ConsideredEvaluation[];
  /** Survivors of the `previous` selection (empty for the first). */
  readonly previousSurvivors: readonly GenotypeId[];
  /** The replayed network of a genotype, if derived. */
  networkOf(genotype: GenotypeId): ReplayNetwork | undefined;
}

/** What re-running a selection gives. */
export interface SelectionReplayResult {
  readonly survivors: readonly GenotypeId[];
  readonly species?: number;
}

/**
 * The pure parts of an evolution engine that replay needs, injected so that
 * projections can replay runs of any engine (and test against a synthetic
 * one). Every function must be deterministic.
 */
export interface ReplayEngine {
  /** Name (and version) of the engine, for reports. */
  readonly name: string;
  /**
   * Whether this engine can replay runs recorded by `engine` (the run
   * event's `engine` field); runs it does not accept are skipped and
   * counted. Default: every run.
   */
  accepts?(engine: string): boolean;
  /** The scalar a selection's `best` is computed from (default: the primary component). */
  scalar?(fitness: Fitness): number;
  /** Parses a seed event's network and computes its id; throws on an invalid network. */
  fromSeed(network: Readonly<Record<string, unknown>>): ReplayGenotype;
  /** Applies recorded operators to a parent (and mate); throws on parameters that do not fit. */
  applyOps(parent: ReplayNetwork, ops: readonly AppliedOp[], mate?: ReplayNetwork): ReplayGenotype;
  /**
   * Re-runs a selection from recorded evaluations: the survivors, and the
   * number of species the engine saw when it speciates (events do not record
   * species; replay reports them). Undefined when the engine cannot re-run
   * this method (replay then checks only what needs no engine).
   */
  select?(input: SelectionReplayInput): SelectionReplayResult | undefined;
  /**
   * Re-evaluates a genotype on a deterministic task; undefined when the task
   * is unknown or not deterministic (it is then skipped, and counted).
   */
  evaluate?(
    task: TaskRef,
    network: ReplayNetwork,
    seed: number,
    run: RunBody | undefined,
  ): Promise<{ fitness: Fitness } | undefined> | { fitness: Fitness } | undefined;
}
