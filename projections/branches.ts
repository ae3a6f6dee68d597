import type { EventId } from '../crypto/index.js';
import type { ProjectionState, SelectionFacts } from './state.js';

/** A selection that lost to a competitor with the same `previous`. */
export interface LostBranch {
  readonly selection: EventId;
  readonly generation: number;
  readonly author: SelectionFacts['author'];
  /** Best fitness reached anywhere on the lost branch. */
  readonly score: number;
  /** Selections on the lost branch (this one and its descendants). */
  readonly length: number;
  /** The kept selection it competed with. */
  readonly lostTo: EventId;
}

/** The kept chain of a run's generations, and what lost along the way. */
export interface ResolvedBranches {
  /** Kept selections, from the first generation to the last. */
  readonly chain: readonly SelectionFacts[];
  readonly lost: readonly LostBranch[];
  /** Selections whose `previous` is not held (their branch cannot be placed yet). */
  readonly detached: readonly EventId[];
}

/**
 * The fitness a selection reached. By default the `best` it claims; the
 * projections pass the best *measured* fitness of its survivors instead, so
 * that a branch cannot win the merge on a claim no evaluation backs.
 */
export type SelectionScore = (s: SelectionFacts) => number;

const claimed: SelectionScore = (s) => s.best;

/**
 * Orders competing selections: the branch that reaches the highest fitness
 * wins, then the selection's own fitness, then the smaller id (DESIGN.md,
 * "Merge semantics"). Negative when `a` wins.
 */
function compareBranches(
  a: SelectionFacts,
  b: SelectionFacts,
  branch: ReadonlyMap<EventId, number>,
  own: ReadonlyMap<EventId, number>,
): number {
  const sa = branch.get(a.id)!;
  const sb = branch.get(b.id)!;
  if (sa !== sb) return sb - sa;
  const oa = own.get(a.id)!;
  const ob = own.get(b.id)!;
  if (oa !== ob) return ob - oa;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Selections of every run, grouped by run. */
export function selectionsByRun(state: ProjectionState): Map<EventId, SelectionFacts[]> {
  const out = new Map<EventId, SelectionFacts[]>();
  for (const s of state.selections.values()) {
    let list = out.get(s.run);
    if (list === undefined) out.set(s.run, (list = []));
    list.push(s);
  }
  return out;
}

/**
 * Resolves a run's selection tree into the kept chain. Two selections with
 * the same `previous` are two sides of a partition that each selected the
 * same generation; the projection keeps the one whose branch reaches the
 * highest fitness (then a fixed tie-break on ids). Losers stay listed.
 */
export function resolveBranches(
  selections: readonly SelectionFacts[],
  scoreOf: SelectionScore = claimed,
): ResolvedBranches {
  const ids = new Set(selections.map((s) => s.id));
  const children = new Map<EventId | null, SelectionFacts[]>();
  const detached: EventId[] = [];
  for (const s of selections) {
    if (s.previous !== null && !ids.has(s.previous)) {
      detached.push(s.id);
      continue;
    }
    let list = children.get(s.previous);
    if (list === undefined) children.set(s.previous, (list = []));
    list.push(s);
  }

  // Branch scores and sizes, children before parents (iterative: runs are thousands deep).
  const score = new Map<EventId, number>();
  const own = new Map<EventId, number>();
  const size = new Map<EventId, number>();
  const order: SelectionFacts[] = [];
  const stack = [...(children.get(null) ?? [])];
  while (stack.length > 0) {
    const s = stack.pop()!;
    order.push(s);
    for (const c of children.get(s.id) ?? []) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const s = order[i]!;
    let best = scoreOf(s);
    own.set(s.id, best);
    let n = 1;
    for (const c of children.get(s.id) ?? []) {
      best = Math.max(best, score.get(c.id)!);
      n += size.get(c.id)!;
    }
    score.set(s.id, best);
    size.set(s.id, n);
  }

  const chain: SelectionFacts[] = [];
  const lost: LostBranch[] = [];
  let candidates = children.get(null) ?? [];
  while (candidates.length > 0) {
    const sorted = [...candidates].sort((a, b) => compareBranches(a, b, score, own));
    const kept = sorted[0]!;
    chain.push(kept);
    for (const loser of sorted.slice(1)) {
      lost.push({
        selection: loser.id,
        generation: loser.generation,
        author: loser.author,
        score: score.get(loser.id)!,
        length: size.get(loser.id)!,
        lostTo: kept.id,
      });
    }
    candidates = children.get(kept.id) ?? [];
  }
  detached.sort();
  return { chain, lost, detached };
}

/**
 * The best measured fitness (primary component) among a selection's
 * survivors; the claimed `best` when none of them has an evaluation held.
 */
export function measuredScore(state: ProjectionState): SelectionScore {
  return (s) => {
    let best = -Infinity;
    for (const g of s.survivors) {
      const b = state.columns.primaryBestOf(g);
      if (b !== undefined) best = Math.max(best, b);
    }
    return best === -Infinity ? s.best : best;
  };
}
