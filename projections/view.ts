import type { EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import { measuredScore, resolveBranches, selectionsByRun } from './branches.js';
import type { LostBranch } from './branches.js';
import { exactValue } from './exact-sum.js';
import { ColumnJoins } from './column-joins.js';
import type { Fitness } from './fitness.js';
import { compareFitness, primaryFitness } from './fitness.js';
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

/** Summarises one kept selection. */
function generationSummary(
  state: ProjectionState,
  s: SelectionFacts,
  joins: ColumnJoins,
): GenerationSummary {
  const c = state.columns;
  let sum = 0;
  let n = 0;
  let max: number | null = null;
  // Family roots by handle; a survivor whose id is not held is its own family.
  const families = new Set<number | GenotypeId>();
  for (const id of s.survivors) {
    const g = c.genotypes.findHex(id);
    families.add(g < 0 ? id : joins.familyOf(g));
    if (g < 0 || !c.hasBest(g)) continue;
    const f = primaryFitness(c.fitnessOf(g));
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
  // Per author index: mutations whose child measured better than its parent.
  const columns = state.columns;
  const byIndex = new Array<number>(columns.authors.length).fill(0);
  for (let g = 0; g < columns.genotypes.size; g++) {
    if (!columns.hasOrigin(g)) continue;
    const parent = columns.parentOf(g);
    if (parent === -1 || !columns.hasBest(g) || !columns.hasBest(parent)) continue;
    if (compareFitness(columns.fitnessOf(g), columns.fitnessOf(parent)) > 0) {
      byIndex[columns.originAuthor[g]!]! += 1;
    }
  }
  const improvements = new Map<PublicKey, number>();
  byIndex.forEach((n, i) => {
    if (n > 0) improvements.set(columns.authors[i]!, n);
  });
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
  const c = state.columns;
  const joins = new ColumnJoins(state);

  // Per-run counts that need the run of each mutation (joined through deps), by run handle.
  const mutationsOf = new Map<number, number>();
  for (let e = 0; e < c.events.size; e++) {
    if (!c.isMutation(e)) continue;
    const run = joins.runOf(e);
    mutationsOf.set(run, (mutationsOf.get(run) ?? 0) + 1);
  }
  const genotypesOf = new Map<number, number>();
  const familiesOf = new Map<number, Set<number>>();
  for (let g = 0; g < c.genotypes.size; g++) {
    const run = joins.runOfOrigin(g);
    if (run === -1) continue;
    genotypesOf.set(run, (genotypesOf.get(run) ?? 0) + 1);
    let set = familiesOf.get(run);
    if (set === undefined) familiesOf.set(run, (set = new Set()));
    set.add(joins.familyOf(g));
  }
  const byHex = <T>(m: Map<number, T>) => {
    const out = new Map<EventId | null, T>();
    for (const [run, v] of m) out.set(c.events.hexOrNull<EventId>(run), v);
    return out;
  };
  const mutations = byHex(mutationsOf);
  const genotypes = byHex(genotypesOf);
  const families = byHex(familiesOf);

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
