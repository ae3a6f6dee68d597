import type { EventId, GenotypeId, PublicKey } from '../crypto/index.js';
import { measuredScore, resolveBranches, selectionsByRun } from './branches.js';
import type { LostBranch } from './branches.js';
import { ProjectionError } from './errors.js';
import { familyOf } from './families.js';
import type { Fitness } from './fitness.js';
import type { ProjectionState, SelectionFacts } from './state.js';

/** One survivor of a generation, with what the projections know of it. */
export interface PopulationMember {
  readonly genotype: GenotypeId;
  /** Best measured fitness, and the evaluation that measured it. */
  readonly fitness: Fitness | null;
  readonly evaluation: EventId | null;
  readonly solved: boolean;
  /** The seed genotype its lineage starts from. */
  readonly family: GenotypeId;
  /** The event that brought it in (mutation or seed) and who signed it. */
  readonly origin: EventId | null;
  readonly producer: PublicKey | null;
  readonly parent: GenotypeId | null;
}

/** The population of one generation of a run. */
export interface Population {
  readonly run: EventId;
  readonly generation: number;
  readonly selection: EventId;
  /** Whether this selection is on the kept branch (false when asked for a lost one). */
  readonly kept: boolean;
  readonly members: readonly PopulationMember[];
  /** Selections of the same generation that lost to the kept one. */
  readonly competitors: readonly LostBranch[];
}

function membersOf(state: ProjectionState, s: SelectionFacts): PopulationMember[] {
  const memo = new Map<GenotypeId, GenotypeId>();
  return s.survivors.map((g) => {
    const best = state.bestOf.get(g);
    const origin = state.origins.get(g);
    return {
      genotype: g,
      fitness: best?.fitness ?? null,
      evaluation: best?.evaluation ?? null,
      solved: best?.solved ?? false,
      family: familyOf(state, g, memo),
      origin: origin?.event ?? null,
      producer: origin?.author ?? null,
      parent: origin?.parent ?? null,
    };
  });
}

/**
 * The population of `run` at `generation` (default: the last kept one), on
 * the branch the merge rule keeps. Throws `UNKNOWN_RUN` or
 * `UNKNOWN_GENERATION`.
 */
export function populationAt(
  state: ProjectionState,
  run: EventId,
  generation?: number,
): Population {
  const selections = selectionsByRun(state).get(run);
  if (selections === undefined) {
    if (state.runs.has(run)) {
      throw new ProjectionError('UNKNOWN_GENERATION', `run ${run} has no selection yet`);
    }
    throw new ProjectionError('UNKNOWN_RUN', `no run ${run} here: "evoledger runs" lists the runs`);
  }
  const { chain, lost } = resolveBranches(selections, measuredScore(state));
  const s =
    generation === undefined
      ? chain[chain.length - 1]
      : chain.find((c) => c.generation === generation);
  if (s === undefined) {
    const last = chain[chain.length - 1]?.generation;
    throw new ProjectionError(
      'UNKNOWN_GENERATION',
      `run ${run} has no kept generation ${String(generation)}` +
        (last === undefined ? '' : ` (generations ${chain[0]!.generation}..${last})`),
    );
  }
  return {
    run,
    generation: s.generation,
    selection: s.id,
    kept: true,
    members: membersOf(state, s),
    competitors: lost.filter((l) => l.lostTo === s.id || l.generation === s.generation),
  };
}

/** The population a given selection chose, kept or lost (to show a losing branch). */
export function populationOf(state: ProjectionState, selection: EventId): Population {
  const s = state.selections.get(selection);
  if (s === undefined)
    throw new ProjectionError('UNKNOWN_GENERATION', `no selection ${selection} here`);
  const { chain, lost } = resolveBranches(
    selectionsByRun(state).get(s.run) ?? [],
    measuredScore(state),
  );
  return {
    run: s.run,
    generation: s.generation,
    selection: s.id,
    kept: chain.some((c) => c.id === s.id),
    members: membersOf(state, s),
    competitors: lost.filter((l) => l.generation === s.generation),
  };
}
