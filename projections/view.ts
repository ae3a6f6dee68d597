import type { EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import { measuredScore, resolveBranches, selectionsByRun } from './branches.js';
import type { LostBranch } from './branches.js';
import { exactValue } from './exact-sum.js';
import { familyOf } from './families.js';
import type { Fitness } from './fitness.js';
import { compareFitness, primaryFitness } from './fitness.js';
import { runOfEvent } from './run-of.js';
import type { ProjectionState, SelectionFacts } from './state.js';

/** One kept generation of a run. */
export interface GenerationSummary {
  readonly generation: number;
  readonly selection: EventId;
  readonly author: PublicKey;
  readonly method: string;
  /** Best fitness the selection claims among the evaluations it considered. */
  readonly best: number;
  /** Mean and maximum of the survivors' best measured fitness (primary component); null if none is measured. */
  readonly mean: number | null;
  readonly max: number | null;
  readonly survivors: number;
  /** Distinct families among the survivors: the run's diversity at this generation. */
  readonly families: number;
  /** Evaluations the selection considered (its deps). */
  readonly considered: number;
}

/** The best evaluation of a run or task. */
export interface BestSummary {
  readonly genotype: GenotypeId;
  readonly fitness: Fitness;
  readonly evaluation: EventId;
  /** Who signed the evaluation. */
  readonly author: PublicKey;
  readonly solved: boolean;
}

/** Everything the projections say about one run. */
export interface RunSummary {
  readonly run: EventId;
  /** False while events name the run but its `run` event is not held. */
  readonly known: boolean;
  readonly realm: RealmId | null;
  readonly author: PublicKey | null;
  readonly task: string | null;
  readonly engine: string | null;
  readonly seed: number | null;
  readonly generations: readonly GenerationSummary[];
  readonly lostBranches: readonly LostBranch[];
  readonly detachedSelections: readonly EventId[];
  /** Fitness evaluations: the sum of the evaluation events' `evaluations`. */
  readonly evaluations: number;
  readonly evaluationEvents: number;
  readonly cost: number;
  readonly mutations: number;
  readonly seeds: number;
  readonly selections: number;
  readonly solvedEvaluations: number;
  readonly genotypes: number;
  readonly families: number;
  readonly best: BestSummary | null;
}

/** The champion of a task in a realm. */
export interface ChampionSummary extends BestSummary {
  readonly realm: RealmId;
  readonly task: string;
  readonly run: EventId;
  /** Who signed the event that brought the genotype in (its mutation or seed), if held. */
  readonly producer: PublicKey | null;
}

/** Contributor credit of one author. */
export interface AuthorCredit {
  readonly author: PublicKey;
  readonly events: number;
  /** Fitness evaluations done (sum of `evaluations`). */
  readonly evaluations: number;
  readonly evaluationEvents: number;
  readonly mutations: number;
  readonly seeds: number;
  readonly selections: number;
  /** Mutations whose child measured better than its parent. */
  readonly improvements: number;
  /** Champions (per task and realm) whose genotype this author produced. */
  readonly champions: number;
  /** Flagged: evidence shows this author forked its own chain. */
  readonly forked: boolean;
}

/** The finalised projections: what users see and what {@link projectionHash} covers. */
export interface ProjectionView {
  readonly events: number;
  readonly unknownEvents: number;
  readonly genotypes: number;
  readonly runs: readonly RunSummary[];
  readonly champions: readonly ChampionSummary[];
  readonly credit: readonly AuthorCredit[];
}

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };

/** Shared, memoised joins for one finalisation. */
interface Joins {
  readonly runMemo: Map<EventId, EventId | null>;
  readonly familyMemo: Map<GenotypeId, GenotypeId>;
}

/** Fresh memo tables for {@link generationSummary} and friends. */
function newJoins(): Joins {
  return { runMemo: new Map(), familyMemo: new Map() };
}

/** Summarises one kept selection. */
function generationSummary(
  state: ProjectionState,
  s: SelectionFacts,
  joins: Joins,
): GenerationSummary {
  let sum = 0;
  let n = 0;
  let max: number | null = null;
  const families = new Set<GenotypeId>();
  for (const g of s.survivors) {
    families.add(familyOf(state, g, joins.familyMemo));
    const best = state.bestOf.get(g);
    if (best === undefined) continue;
    const f = primaryFitness(best.fitness);
    sum += f;
    n += 1;
    max = max === null || f > max ? f : max;
  }
  return {
    generation: s.generation,
    selection: s.id,
    author: s.author,
    method: s.method,
    best: s.best,
    mean: n === 0 ? null : sum / n,
    max,
    survivors: s.survivors.length,
    families: families.size,
    considered: s.considered,
  };
}

/** The champion of each task in each realm (cheap: no join over genotypes). */
export function championSummaries(state: ProjectionState): ChampionSummary[] {
  return [...state.champions.values()]
    .map((c) => ({
      realm: c.realm,
      task: c.taskKey,
      run: c.run,
      genotype: c.genotype,
      fitness: c.fitness,
      evaluation: c.evaluation,
      author: c.author,
      solved: c.solved,
      producer: state.origins.get(c.genotype)?.author ?? null,
    }))
    .sort(byKey((c) => `${c.realm}/${c.task}`));
}

/** Contributor credit of every author, given the champions (improvements join over genotypes). */
function authorCredit(
  state: ProjectionState,
  champions: readonly ChampionSummary[],
): AuthorCredit[] {
  const improvements = new Map<PublicKey, number>();
  for (const [g, origin] of state.origins) {
    if (origin.parent === null) continue;
    const child = state.bestOf.get(g);
    const parent = state.bestOf.get(origin.parent);
    if (
      child !== undefined &&
      parent !== undefined &&
      compareFitness(child.fitness, parent.fitness) > 0
    ) {
      improvements.set(origin.author, (improvements.get(origin.author) ?? 0) + 1);
    }
  }
  const produced = new Map<PublicKey, number>();
  for (const c of champions) {
    if (c.producer !== null) produced.set(c.producer, (produced.get(c.producer) ?? 0) + 1);
  }
  return [...state.authors.entries()]
    .map(([author, t]) => ({
      author,
      events: t.events,
      evaluations: t.evaluations,
      evaluationEvents: t.evaluationEvents,
      mutations: t.mutations,
      seeds: t.seeds,
      selections: t.selections,
      improvements: improvements.get(author) ?? 0,
      champions: produced.get(author) ?? 0,
      forked: t.forked === true,
    }))
    .sort(byKey((c) => c.author));
}

/**
 * Finalises the state into the user-facing projections: run summaries (kept
 * branch per the merge rule), champions, contributor credit. Everything is
 * sorted by ids, so equal event sets give equal views.
 */
export function finalize(state: ProjectionState): ProjectionView {
  const joins = newJoins();

  // Per-run counts that need the run of each mutation (joined through deps).
  const mutations = new Map<EventId | null, number>();
  for (const m of state.mutationVia.keys()) {
    const run = runOfEvent(state, m, joins.runMemo);
    mutations.set(run, (mutations.get(run) ?? 0) + 1);
  }
  const genotypes = new Map<EventId, number>();
  const families = new Map<EventId, Set<GenotypeId>>();
  for (const [g, origin] of state.origins) {
    const run = origin.run ?? runOfEvent(state, origin.event, joins.runMemo);
    if (run === null) continue;
    genotypes.set(run, (genotypes.get(run) ?? 0) + 1);
    let set = families.get(run);
    if (set === undefined) families.set(run, (set = new Set()));
    set.add(familyOf(state, g, joins.familyMemo));
  }

  const byRun = selectionsByRun(state);
  const score = measuredScore(state);
  const runIds = new Set<EventId>([
    ...state.runs.keys(),
    ...state.runTotals.keys(),
    ...byRun.keys(),
  ]);
  for (const r of mutations.keys()) if (r !== null) runIds.add(r);
  const runs: RunSummary[] = [];
  for (const id of [...runIds].sort()) {
    const facts = state.runs.get(id);
    const totals = state.runTotals.get(id);
    const resolved = resolveBranches(byRun.get(id) ?? [], score);
    const best = state.runBest.get(id);
    runs.push({
      run: id,
      known: facts !== undefined,
      realm: facts?.realm ?? null,
      author: facts?.author ?? null,
      task: facts?.taskKey ?? null,
      engine: facts?.engine ?? null,
      seed: facts?.seed ?? null,
      generations: resolved.chain.map((s) => generationSummary(state, s, joins)),
      lostBranches: resolved.lost,
      detachedSelections: resolved.detached,
      evaluations: totals?.evaluations ?? 0,
      evaluationEvents: totals?.evaluationEvents ?? 0,
      cost: totals === undefined ? 0 : exactValue(totals.cost),
      mutations: mutations.get(id) ?? 0,
      seeds: totals?.seeds ?? 0,
      selections: totals?.selections ?? 0,
      solvedEvaluations: totals?.solved ?? 0,
      genotypes: genotypes.get(id) ?? 0,
      families: families.get(id)?.size ?? 0,
      best:
        best === undefined
          ? null
          : {
              genotype: best.genotype,
              fitness: best.fitness,
              evaluation: best.evaluation,
              author: best.author,
              solved: best.solved,
            },
    });
  }

  const champions = championSummaries(state);
  const credit = authorCredit(state, champions);

  return {
    events: state.events,
    unknownEvents: state.unknown,
    genotypes: state.origins.size,
    runs,
    champions,
    credit,
  };
}
