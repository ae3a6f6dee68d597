import type { EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import type { Fitness } from './fitness.js';
import { checkEvidence } from '../ledger/index.js';
import type { EventOf, LedgerEvent, SelectionBody, TaskRef } from '../ledger/index.js';
import { addExact } from './exact-sum.js';
import { compareFitness, taskKey } from './fitness.js';
import { betterOrigin } from './origin.js';
import type { AuthorTotals, BestFacts, OriginFacts, ProjectionState, RunTotals } from './state.js';

function runTotals(state: ProjectionState, run: EventId): RunTotals {
  let t = state.runTotals.get(run);
  if (t === undefined) {
    t = { evaluations: 0, evaluationEvents: 0, cost: [], seeds: 0, selections: 0, solved: 0 };
    state.runTotals.set(run, t);
  }
  return t;
}

function authorTotals(state: ProjectionState, author: PublicKey): AuthorTotals {
  let t = state.authors.get(author);
  if (t === undefined) {
    t = { evaluations: 0, evaluationEvents: 0, mutations: 0, seeds: 0, selections: 0, events: 0 };
    state.authors.set(author, t);
  }
  return t;
}

function keepOrigin(state: ProjectionState, genotype: GenotypeId, origin: OriginFacts): void {
  const held = state.origins.get(genotype);
  if (held === undefined || betterOrigin(origin, held, genotype))
    state.origins.set(genotype, origin);
}

/**
 * True when a measurement beats the held best: higher fitness, then the
 * smaller genotype id, then the smaller evaluation id (the fixed tie-break
 * of DESIGN.md, "Merge"). Takes the fields, not a record, so that losing
 * measurements allocate nothing.
 */
function beats(
  fitness: Fitness,
  genotype: GenotypeId,
  evaluation: EventId,
  held: BestFacts | undefined,
): boolean {
  if (held === undefined) return true;
  const c = compareFitness(fitness, held.fitness);
  if (c !== 0) return c > 0;
  if (genotype !== held.genotype) return genotype < held.genotype;
  return evaluation < held.evaluation;
}

// The champion key of the last evaluation seen: consecutive evaluations share
// realm and task, and building the key (two concatenations, then hashing a
// fresh string) was the largest cost of the fold (measured). A cache only.
let lastKey: { realm: string; task: TaskRef; key: string; championKey: string } | undefined;

function championKeyOf(realm: string, task: TaskRef): { key: string; championKey: string } {
  const last = lastKey;
  if (
    last !== undefined &&
    last.realm === realm &&
    last.task.id === task.id &&
    last.task.version === task.version &&
    task.params === undefined &&
    last.task.params === undefined
  ) {
    return last;
  }
  const key = taskKey(task);
  lastKey = { realm, task, key, championKey: `${realm}/${key}` };
  return lastKey;
}

/** Best facts of an evaluation: allocated only when it beats something held. */
function bestFacts(
  evaluation: EventId,
  genotype: GenotypeId,
  author: PublicKey,
  run: EventId,
  fitness: Fitness,
  solved: boolean,
): BestFacts {
  return { evaluation, genotype, author, run, fitness, solved };
}

/** Folds an evaluation (its envelope's and body's fields) into the state. */
export function foldEvaluation(
  state: ProjectionState,
  id: EventId,
  realm: RealmId,
  author: PublicKey,
  run: EventId,
  genotype: GenotypeId,
  task: TaskRef,
  fitness: Fitness,
  cost: number,
  solved: boolean,
  evaluations: number,
): void {
  const totals = runTotals(state, run);
  totals.evaluations += evaluations;
  totals.evaluationEvents += 1;
  addExact(totals.cost, cost);
  if (solved) totals.solved += 1;
  const byAuthor = authorTotals(state, author);
  byAuthor.evaluations += evaluations;
  byAuthor.evaluationEvents += 1;

  // Most evaluations beat nothing held: allocate the record only when one does.
  let best: BestFacts | undefined;
  if (beats(fitness, genotype, id, state.bestOf.get(genotype))) {
    best = bestFacts(id, genotype, author, run, fitness, solved);
    state.bestOf.set(genotype, best);
  }
  if (beats(fitness, genotype, id, state.runBest.get(run))) {
    best ??= bestFacts(id, genotype, author, run, fitness, solved);
    state.runBest.set(run, best);
  }
  const { key, championKey } = championKeyOf(realm, task);
  if (beats(fitness, genotype, id, state.champions.get(championKey))) {
    state.champions.set(championKey, {
      ...(best ?? bestFacts(id, genotype, author, run, fitness, solved)),
      realm,
      task,
      taskKey: key,
    });
  }
}

/**
 * Folds a mutation into the state: `via` is its first dep (the parent's
 * origin event), `ops` the number of operators it applied.
 */
export function foldMutation(
  state: ProjectionState,
  id: EventId,
  author: PublicKey,
  via: EventId | null,
  child: GenotypeId,
  parent: GenotypeId,
  mate: GenotypeId | null,
  generation: number,
  ops: number,
): void {
  state.mutationVia.set(id, via);
  authorTotals(state, author).mutations += 1;
  keepOrigin(state, child, {
    event: id,
    kind: 'mutation',
    author,
    run: null,
    via,
    generation,
    parent,
    mate,
    ops,
  });
}

/** Folds a selection into the state; `considered` is its number of deps. */
export function foldSelection(
  state: ProjectionState,
  id: EventId,
  realm: RealmId,
  author: PublicKey,
  b: SelectionBody,
  considered: number,
): void {
  runTotals(state, b.run).selections += 1;
  authorTotals(state, author).selections += 1;
  state.selections.set(id, {
    id,
    realm,
    run: b.run,
    author,
    generation: b.generation,
    previous: b.previous,
    survivors: b.survivors,
    method: b.method,
    best: b.best,
    considered,
  });
}

function onSeed(state: ProjectionState, e: EventOf<'seed'>): void {
  const b = e.body;
  runTotals(state, b.run).seeds += 1;
  state.seedRun.set(e.id, b.run);
  authorTotals(state, e.author).seeds += 1;
  keepOrigin(state, b.genotype, {
    event: e.id,
    kind: 'seed',
    author: e.author,
    run: b.run,
    via: null,
    generation: 0,
    parent: null,
    mate: null,
    ops: 0,
  });
}

function onRun(state: ProjectionState, e: EventOf<'run'>): void {
  const b = e.body;
  runTotals(state, e.id);
  state.runs.set(e.id, {
    id: e.id,
    realm: e.realm,
    author: e.author,
    task: b.task,
    taskKey: taskKey(b.task),
    seed: b.seed,
    engine: b.engine,
    config: b.config,
  });
}

/**
 * Counts an event of a known kind and version by `author`, unless it was
 * folded before (a duplicate changes nothing). False for a duplicate: the
 * caller then folds nothing more of it.
 */
export function admitKnown(state: ProjectionState, id: EventId, author: PublicKey): boolean {
  if (!admit(state, id)) return false;
  authorTotals(state, author).events += 1;
  return true;
}

/** Counts an event, unless it was folded before; false for a duplicate. */
function admit(state: ProjectionState, id: EventId): boolean {
  if (state.seen !== null) {
    if (state.seen.has(id)) return false;
    state.seen.add(id);
  }
  state.events += 1;
  return true;
}

/**
 * Folds one event into the state (the `evolve` of the decider pattern) and
 * returns it. A duplicate is ignored; events may come in any order: a
 * mutation after its child's evaluation, a selection before its run, and the
 * state after a set of events is the same whatever the order.
 */
export function evolve(state: ProjectionState, event: LedgerEvent): ProjectionState {
  if (!event.known) {
    if (admit(state, event.id)) state.unknown += 1;
    return state;
  }
  if (!admitKnown(state, event.id, event.author)) return state;
  switch (event.kind) {
    case 'evaluation': {
      const b = event.body;
      foldEvaluation(
        state,
        event.id,
        event.realm,
        event.author,
        b.run,
        b.genotype,
        b.task,
        b.fitness,
        b.cost,
        b.solved,
        b.evaluations,
      );
      break;
    }
    case 'mutation': {
      const b = event.body;
      foldMutation(
        state,
        event.id,
        event.author,
        event.deps[0] ?? null,
        b.child,
        b.parent,
        b.mate ?? null,
        b.generation,
        b.ops.length,
      );
      break;
    }
    case 'selection':
      foldSelection(state, event.id, event.realm, event.author, event.body, event.deps.length);
      break;
    case 'seed':
      onSeed(state, event);
      break;
    case 'run':
      onRun(state, event);
      break;
    case 'evidence':
      // Evidence is checked, not believed: both headers must carry the offender's signature.
      if (checkEvidence(event.body)) authorTotals(state, event.body.offender).forked = true;
      break;
    default:
      break;
  }
  return state;
}

/** Folds every event of an iterable (sync or async) into `state`. */
export async function foldEvents(
  state: ProjectionState,
  events: AsyncIterable<LedgerEvent> | Iterable<LedgerEvent>,
): Promise<ProjectionState> {
  for await (const e of events) evolve(state, e);
  return state;
}
