import { idAt } from '../crypto/index.js';
import type { EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import type { Fitness } from './fitness.js';
import { checkEvidence } from '../ledger/index.js';
import type { EventOf, LedgerEvent, SelectionBody, TaskRef } from '../ledger/index.js';
import { addExact } from './exact-sum.js';
import { compareFitness, taskKey } from './fitness.js';
import type { AuthorTotals, BestFacts, ProjectionState, RunTotals } from './state.js';
import { Kind } from './state-columns.js';
import type { StateColumns } from './state-columns.js';

function runTotals(state: ProjectionState, run: EventId): RunTotals {
  let t = state.runTotals.get(run);
  if (t === undefined) {
    t = { evaluations: 0, evaluationEvents: 0, cost: [], seeds: 0, selections: 0, solved: 0 };
    state.runTotals.set(run, t);
  }
  return t;
}

/** The totals of `author`, made if new (the object stays the same as long as the state lives). */
export function authorTotals(state: ProjectionState, author: PublicKey): AuthorTotals {
  let t = state.authors.get(author);
  if (t === undefined) {
    t = { evaluations: 0, evaluationEvents: 0, mutations: 0, seeds: 0, selections: 0, events: 0 };
    state.authors.set(author, t);
  }
  return t;
}

/** True when `a` (at `aOff` in `aBytes`) is smaller than `b` (at `bOff`), as hex strings compare. */
function smallerId(aBytes: Uint8Array, aOff: number, bBytes: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < 32; i++) {
    const d = aBytes[aOff + i]! - bBytes[bOff + i]!;
    if (d !== 0) return d < 0;
  }
  return false;
}

/**
 * True when a measurement of genotype `g` beats its best held: higher
 * fitness, then the smaller evaluation id (the genotype is the same).
 */
function beatsBest(
  c: StateColumns,
  g: number,
  fitness: Fitness,
  evaluation: Uint8Array,
  at: number,
): boolean {
  if (!c.hasBest(g)) return true;
  const held = c.bestVector.size === 0 ? c.bestFitness[g]! : c.fitnessOf(g);
  const order =
    typeof fitness === 'number' && typeof held === 'number'
      ? fitness === held
        ? 0
        : fitness > held
          ? 1
          : -1
      : compareFitness(fitness, held);
  if (order !== 0) return order > 0;
  return smallerId(evaluation, at, c.bestEvaluation, 32 * g);
}

/**
 * True when a measurement beats a held best of a run or task: higher
 * fitness, then the smaller genotype id, then the smaller evaluation id
 * (the fixed tie-break of DESIGN.md, "Merge"). Hex strings are made only
 * on a tie.
 */
function beats(
  c: StateColumns,
  fitness: Fitness,
  g: number,
  evaluation: Uint8Array,
  at: number,
  held: BestFacts | undefined,
): boolean {
  if (held === undefined) return true;
  const order = compareFitness(fitness, held.fitness);
  if (order !== 0) return order > 0;
  const byGenotype = compareWithHex(c.genotypes.bytes, 32 * g, held.genotype);
  if (byGenotype !== 0) return byGenotype < 0;
  return compareWithHex(evaluation, at, held.evaluation) < 0;
}

/** The value of a lower-case hex digit's char code. */
const digit = (code: number): number => (code <= 57 ? code - 48 : code - 87);

/**
 * Compares the 32 bytes at `at` in `bytes` with a hex id, as their hex
 * strings compare (negative, 0 or positive), without making a string:
 * fitness ties are common (a solved task), and each would make two.
 */
function compareWithHex(bytes: Uint8Array, at: number, hex: string): number {
  for (let i = 0; i < 32; i++) {
    const d =
      bytes[at + i]! - ((digit(hex.charCodeAt(2 * i)) << 4) | digit(hex.charCodeAt(2 * i + 1)));
    if (d !== 0) return d;
  }
  return 0;
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

/** Best facts of an evaluation (hex strings made here). */
function bestFacts(
  c: StateColumns,
  evaluation: Uint8Array,
  at: number,
  g: number,
  author: PublicKey,
  run: EventId,
  fitness: Fitness,
  solved: boolean,
): BestFacts {
  const genotype = c.genotypes.hex<GenotypeId>(g);
  return { evaluation: idAt<EventId>(evaluation, at), genotype, author, run, fitness, solved };
}

/**
 * Folds an evaluation into the state. Its id lies at `at` in `evaluation`;
 * `run` is its run (hex, and `runHandle` its event handle), `g` the handle
 * of its genotype, `author` its author (and `authorIndex` its index).
 */
export function foldEvaluation(
  state: ProjectionState,
  evaluation: Uint8Array,
  at: number,
  realm: RealmId,
  author: PublicKey,
  authorIndex: number,
  run: EventId,
  runHandle: number,
  g: number,
  task: TaskRef,
  fitness: Fitness,
  cost: number,
  solved: boolean,
  evaluations: number,
): void {
  const c = state.columns;
  const totals = runTotals(state, run);
  totals.evaluations += evaluations;
  totals.evaluationEvents += 1;
  addExact(totals.cost, cost);
  if (solved) totals.solved += 1;
  const byAuthor = authorTotals(state, author);
  byAuthor.evaluations += evaluations;
  byAuthor.evaluationEvents += 1;

  if (beatsBest(c, g, fitness, evaluation, at)) {
    c.setBest(g, fitness, evaluation, at, authorIndex, runHandle, solved);
  }
  // Most evaluations beat nothing held: allocate the record only when one does.
  let best: BestFacts | undefined;
  if (beats(c, fitness, g, evaluation, at, state.runBest.get(run))) {
    best = bestFacts(c, evaluation, at, g, author, run, fitness, solved);
    state.runBest.set(run, best);
  }
  const { key, championKey } = championKeyOf(realm, task);
  if (beats(c, fitness, g, evaluation, at, state.champions.get(championKey))) {
    best ??= bestFacts(c, evaluation, at, g, author, run, fitness, solved);
    state.champions.set(championKey, { ...best, realm, task, taskKey: key });
  }
}

/**
 * Folds a mutation into the state, all its ids as handles: `event` its
 * own, `via` its first dep (the parent's origin event; -1 for none),
 * `child`, `parent`, `mate` (-1 for none) genotypes; `ops` the number of
 * operators it applied.
 */
export function foldMutation(
  state: ProjectionState,
  event: number,
  author: PublicKey,
  authorIndex: number,
  via: number,
  child: number,
  parent: number,
  mate: number,
  generation: number,
  ops: number,
): void {
  const c = state.columns;
  c.setVia(event, via);
  authorTotals(state, author).mutations += 1;
  c.keepOrigin(child, Kind.mutation, event, authorIndex, generation, parent, mate, ops);
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
  const c = state.columns;
  runTotals(state, b.run).seeds += 1;
  const run = c.eventHex(b.run);
  const event = c.eventHex(e.id);
  const g = c.genotypeHex(b.genotype);
  c.setSeedRun(event, run);
  authorTotals(state, e.author).seeds += 1;
  c.keepOrigin(g, Kind.seed, event, c.author(e.author), 0, -1, -1, 0);
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

/** Counts an event of a known kind from a source of distinct events (no duplicate check). */
export function countKnown(state: ProjectionState, totals: AuthorTotals): void {
  state.events += 1;
  totals.events += 1;
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

/** An evaluation's id as bytes, for {@link foldEvaluation}. */
const scratch = Buffer.alloc(32);

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
      const c = state.columns;
      scratch.write(event.id, 'hex');
      foldEvaluation(
        state,
        scratch,
        0,
        event.realm,
        event.author,
        c.author(event.author),
        b.run,
        c.eventHex(b.run),
        c.genotypeHex(b.genotype),
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
      const c = state.columns;
      const via = event.deps[0];
      foldMutation(
        state,
        c.eventHex(event.id),
        event.author,
        c.author(event.author),
        via === undefined ? -1 : c.eventHex(via),
        c.genotypeHex(b.child),
        c.genotypeHex(b.parent),
        b.mate === undefined ? -1 : c.genotypeHex(b.mate),
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
