import type { EventId, GenotypeId, PublicKey } from '../crypto/index.js';
import type { Fitness } from './fitness.js';
import { checkEvidence, isKind } from '../ledger/index.js';
import type { EventOf, LedgerEvent, TaskRef } from '../ledger/index.js';
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

function onEvaluation(state: ProjectionState, e: EventOf<'evaluation'>): void {
  const b = e.body;
  const totals = runTotals(state, b.run);
  totals.evaluations += b.evaluations;
  totals.evaluationEvents += 1;
  addExact(totals.cost, b.cost);
  if (b.solved) totals.solved += 1;
  const author = authorTotals(state, e.author);
  author.evaluations += b.evaluations;
  author.evaluationEvents += 1;

  // Most evaluations beat nothing held: allocate the record only when one does.
  const facts = (): BestFacts => ({
    evaluation: e.id,
    genotype: b.genotype,
    author: e.author,
    run: b.run,
    fitness: b.fitness,
    solved: b.solved,
  });
  let best: BestFacts | undefined;
  if (beats(b.fitness, b.genotype, e.id, state.bestOf.get(b.genotype))) {
    best = facts();
    state.bestOf.set(b.genotype, best);
  }
  if (beats(b.fitness, b.genotype, e.id, state.runBest.get(b.run))) {
    best ??= facts();
    state.runBest.set(b.run, best);
  }
  const { key, championKey } = championKeyOf(e.realm, b.task);
  if (beats(b.fitness, b.genotype, e.id, state.champions.get(championKey))) {
    state.champions.set(championKey, {
      ...(best ?? facts()),
      realm: e.realm,
      task: b.task,
      taskKey: key,
    });
  }
}

function onMutation(state: ProjectionState, e: EventOf<'mutation'>): void {
  const b = e.body;
  const via = e.deps[0] ?? null;
  state.mutationVia.set(e.id, via);
  authorTotals(state, e.author).mutations += 1;
  keepOrigin(state, b.child, {
    event: e.id,
    kind: 'mutation',
    author: e.author,
    run: null,
    via,
    generation: b.generation,
    parent: b.parent,
    mate: b.mate ?? null,
    ops: b.ops.length,
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

function onSelection(state: ProjectionState, e: EventOf<'selection'>): void {
  const b = e.body;
  runTotals(state, b.run).selections += 1;
  authorTotals(state, e.author).selections += 1;
  state.selections.set(e.id, {
    id: e.id,
    realm: e.realm,
    run: b.run,
    author: e.author,
    generation: b.generation,
    previous: b.previous,
    survivors: b.survivors,
    method: b.method,
    best: b.best,
    considered: e.deps.length,
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
 * Folds one event into the state (the `evolve` of the decider pattern) and
 * returns it. A duplicate is ignored; events may come in any order: a
 * mutation after its child's evaluation, a selection before its run, and the
 * state after a set of events is the same whatever the order.
 */
export function evolve(state: ProjectionState, event: LedgerEvent): ProjectionState {
  if (state.seen !== null) {
    if (state.seen.has(event.id)) return state;
    state.seen.add(event.id);
  }
  state.events += 1;
  if (!event.known) {
    state.unknown += 1;
    return state;
  }
  authorTotals(state, event.author).events += 1;
  if (isKind(event, 'evaluation')) onEvaluation(state, event);
  else if (isKind(event, 'mutation')) onMutation(state, event);
  else if (isKind(event, 'selection')) onSelection(state, event);
  else if (isKind(event, 'seed')) onSeed(state, event);
  else if (isKind(event, 'run')) onRun(state, event);
  // Evidence is checked, not believed: both headers must carry the offender's signature.
  else if (isKind(event, 'evidence') && checkEvidence(event.body)) {
    authorTotals(state, event.body.offender).forked = true;
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
