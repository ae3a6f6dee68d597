import type { EventId, GenotypeId } from '../crypto/index.js';
import { isKind } from '../ledger/index.js';
import type { EventOf, LedgerEvent, RunBody } from '../ledger/index.js';
import { ProjectionError } from './errors.js';
import type { Fitness } from './fitness.js';
import { primaryFitness } from './fitness.js';
import type { ConsideredEvaluation, ReplayEngine, ReplayNetwork } from './replay-engine.js';

/** What a divergence is about. */
export type ReplayCheck =
  | 'seed-id'
  | 'child-id'
  | 'operators'
  | 'unknown-parent'
  | 'fitness'
  | 'best'
  | 'survivors'
  | 'unknown-survivor';

/** The first place where the log and a re-run disagree. */
export interface Divergence {
  /** `REPLAY_DIVERGED`, or `UNKNOWN_GENOTYPE` when a genotype cannot be derived at all. */
  readonly code: 'REPLAY_DIVERGED' | 'UNKNOWN_GENOTYPE';
  readonly event: EventId;
  readonly kind: string;
  readonly check: ReplayCheck;
  /** What the event records. */
  readonly expected: string;
  /** What the replay obtained. */
  readonly got: string;
  readonly message: string;
}

/** How many species the engine saw when it re-ran a selection. */
export interface SpeciesCount {
  readonly run: EventId;
  readonly generation: number;
  readonly selection: EventId;
  readonly species: number;
}

/** Counts of what a replay checked. */
export interface ReplayCounts {
  events: number;
  runs: number;
  seeds: number;
  mutations: number;
  evaluations: number;
  reEvaluated: number;
  /** Evaluations the engine could not re-run (unknown or non-deterministic task). */
  notReEvaluated: number;
  selections: number;
  /** Selections whose survivors were re-derived by the engine. */
  reselected: number;
  /** Events of runs recorded by an engine the replay engine does not accept (not checked). */
  skipped: number;
}

/** The outcome of a replay. */
export interface ReplayReport extends ReplayCounts {
  readonly ok: boolean;
  readonly engine: string;
  /** Engines of the runs skipped because the replay engine does not accept them. */
  readonly foreignEngines: readonly string[];
  /** Species per re-run selection, in log order, when the engine speciates. */
  readonly species: readonly SpeciesCount[];
  readonly divergences: readonly Divergence[];
}

/** Typed progress of {@link replay}. */
export type ReplayProgress =
  | { readonly type: 'progress'; readonly counts: Readonly<ReplayCounts> }
  | { readonly type: 'divergence'; readonly divergence: Divergence }
  | { readonly type: 'done'; readonly report: ReplayReport };

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Re-run the evaluations of deterministic tasks and compare fitness. */
  readonly reEvaluate?: boolean;
  /** Stop at the first divergence (default true). */
  readonly stopAtFirst?: boolean;
  /** Yield progress every this many events (default 1000). */
  readonly progressEvery?: number;
  readonly signal?: AbortSignal;
}

const text = (v: unknown): string => JSON.stringify(v);

class Stop extends Error {}

/**
 * Re-derives a recorded experiment: every genotype id from its parent and
 * recorded operators, every selection's `best` from the evaluations it
 * considered and, when the engine can, its survivors; with `reEvaluate`,
 * every fitness of a deterministic task. Events come in log order (a
 * mutation whose parent comes later waits for it). Yields progress, each
 * divergence, and finally the report.
 */
export async function* replay(
  events: AsyncIterable<LedgerEvent> | Iterable<LedgerEvent>,
  engine: ReplayEngine,
  options: ReplayOptions = {},
): AsyncGenerator<ReplayProgress, ReplayReport> {
  const stopAtFirst = options.stopAtFirst ?? true;
  const every = options.progressEvery ?? 1000;
  const scalar = (f: Fitness) =>
    engine.scalar === undefined ? primaryFitness(f) : engine.scalar(f);
  const counts: ReplayCounts = {
    events: 0,
    runs: 0,
    seeds: 0,
    mutations: 0,
    evaluations: 0,
    reEvaluated: 0,
    notReEvaluated: 0,
    skipped: 0,
    selections: 0,
    reselected: 0,
  };
  const divergences: Divergence[] = [];
  const runs = new Map<EventId, RunBody>();
  const networks = new Map<GenotypeId, ReplayNetwork>();
  const evaluations = new Map<EventId, ConsideredEvaluation>();
  const survivorsOf = new Map<EventId, readonly GenotypeId[]>();
  const waitingMutations = new Map<GenotypeId, EventOf<'mutation'>[]>();
  const waitingEvaluations = new Map<GenotypeId, EventOf<'evaluation'>[]>();
  const namedSurvivors = new Map<GenotypeId, EventId>();
  // Runs of other engines, and the genotypes that descend from their seeds: not replayed, counted.
  const foreignRuns = new Set<EventId>();
  const foreign = new Set<GenotypeId>();
  const foreignEngines = new Set<string>();
  const species: SpeciesCount[] = [];
  const queue: Divergence[] = [];

  const diverge = (d: Omit<Divergence, 'message'> & { message?: string }) => {
    const full: Divergence = {
      ...d,
      message:
        d.message ??
        `${d.kind} event ${d.event}: ${d.check} differs: recorded ${d.expected}, replay got ${d.got}`,
    };
    divergences.push(full);
    queue.push(full);
    if (stopAtFirst) throw new Stop();
  };

  const wait = <T>(map: Map<GenotypeId, T[]>, g: GenotypeId, item: T) => {
    const list = map.get(g);
    if (list === undefined) map.set(g, [item]);
    else list.push(item);
  };

  const reEvaluate = async (e: EventOf<'evaluation'>, network: ReplayNetwork) => {
    const result = await engine.evaluate?.(e.body.task, network, e.body.seed, runs.get(e.body.run));
    if (result === undefined) {
      counts.notReEvaluated++;
      return;
    }
    counts.reEvaluated++;
    if (text(result.fitness) !== text(e.body.fitness)) {
      diverge({
        code: 'REPLAY_DIVERGED',
        event: e.id,
        kind: 'evaluation',
        check: 'fitness',
        expected: text(e.body.fitness),
        got: text(result.fitness),
      });
    }
  };

  // A genotype became known: run what waited for it.
  const known = async (id: GenotypeId, network: ReplayNetwork) => {
    const ready: [GenotypeId, ReplayNetwork][] = [[id, network]];
    while (ready.length > 0) {
      const [g, net] = ready.pop()!;
      if (networks.has(g)) continue;
      networks.set(g, net);
      const evals = waitingEvaluations.get(g);
      if (evals !== undefined) {
        waitingEvaluations.delete(g);
        for (const e of evals) await reEvaluate(e, net);
      }
      const muts = waitingMutations.get(g);
      if (muts !== undefined) {
        waitingMutations.delete(g);
        for (const m of muts) {
          const child = derive(m);
          if (child !== undefined) ready.push(child);
        }
      }
    }
  };

  // Applies a mutation whose parent (and mate) are known; undefined while one waits.
  const derive = (m: EventOf<'mutation'>): [GenotypeId, ReplayNetwork] | undefined => {
    const parent = networks.get(m.body.parent);
    if (parent === undefined) {
      wait(waitingMutations, m.body.parent, m);
      return undefined;
    }
    let mate: ReplayNetwork | undefined;
    if (m.body.mate !== undefined) {
      mate = networks.get(m.body.mate);
      if (mate === undefined) {
        wait(waitingMutations, m.body.mate, m);
        return undefined;
      }
    }
    let child;
    try {
      child = engine.applyOps(parent, m.body.ops, mate);
    } catch (err) {
      diverge({
        code: 'REPLAY_DIVERGED',
        event: m.id,
        kind: 'mutation',
        check: 'operators',
        expected: m.body.child,
        got: `error: ${(err as Error).message}`,
      });
      return undefined;
    }
    if (child.id !== m.body.child) {
      diverge({
        code: 'REPLAY_DIVERGED',
        event: m.id,
        kind: 'mutation',
        check: 'child-id',
        expected: m.body.child,
        got: child.id,
      });
      return undefined;
    }
    return [child.id, child.network];
  };

  const onSelection = (s: EventOf<'selection'>) => {
    counts.selections++;
    const b = s.body;
    survivorsOf.set(s.id, b.survivors);
    for (const g of b.survivors) if (!namedSurvivors.has(g)) namedSurvivors.set(g, s.id);
    const considered: ConsideredEvaluation[] = [];
    for (const d of s.deps) {
      const e = evaluations.get(d);
      if (e !== undefined) considered.push(e);
    }
    if (considered.length > 0) {
      let best = -Infinity;
      for (const c of considered) best = Math.max(best, scalar(c.fitness));
      if (best !== b.best) {
        diverge({
          code: 'REPLAY_DIVERGED',
          event: s.id,
          kind: 'selection',
          check: 'best',
          expected: text(b.best),
          got: text(best),
        });
      }
    }
    const chosen = engine.select?.({
      run: runs.get(b.run),
      runId: b.run,
      generation: b.generation,
      method: b.method,
      considered,
      previousSurvivors: b.previous === null ? [] : (survivorsOf.get(b.previous) ?? []),
      networkOf: (g) => networks.get(g),
    });
    if (chosen !== undefined) {
      counts.reselected++;
      if (chosen.species !== undefined) {
        species.push({
          run: b.run,
          generation: b.generation,
          selection: s.id,
          species: chosen.species,
        });
      }
      const want = [...b.survivors].sort();
      const got = [...chosen.survivors].sort();
      if (text(want) !== text(got)) {
        diverge({
          code: 'REPLAY_DIVERGED',
          event: s.id,
          kind: 'selection',
          check: 'survivors',
          expected: text(want),
          got: text(got),
        });
      }
    }
  };

  // The genotype a seed of a foreign run, or a mutation of a foreign parent, brings in.
  const foreignGenotype = (e: LedgerEvent): GenotypeId | undefined => {
    if (isKind(e, 'seed')) return foreignRuns.has(e.body.run) ? e.body.genotype : undefined;
    if (!isKind(e, 'mutation')) return undefined;
    const { parent, mate, child } = e.body;
    return foreign.has(parent) || (mate !== undefined && foreign.has(mate)) ? child : undefined;
  };

  const step = async (e: LedgerEvent) => {
    counts.events++;
    const foreignChild = isKind(e, 'run') ? undefined : foreignGenotype(e);
    if (isKind(e, 'run')) {
      counts.runs++;
      runs.set(e.id, e.body);
      if (engine.accepts !== undefined && !engine.accepts(e.body.engine)) {
        foreignRuns.add(e.id);
        foreignEngines.add(e.body.engine);
        counts.skipped++;
      }
    } else if (foreignChild !== undefined) {
      counts.skipped++;
      foreign.add(foreignChild);
    } else if ((isKind(e, 'evaluation') || isKind(e, 'selection')) && foreignRuns.has(e.body.run)) {
      counts.skipped++;
    } else if (isKind(e, 'seed')) {
      counts.seeds++;
      let g;
      let got: string;
      try {
        g = engine.fromSeed(e.body.network);
        got = g.id;
      } catch (err) {
        got = `error: ${(err as Error).message}`;
      }
      if (g === undefined || got !== e.body.genotype) {
        diverge({
          code: 'REPLAY_DIVERGED',
          event: e.id,
          kind: 'seed',
          check: 'seed-id',
          expected: e.body.genotype,
          got,
        });
        return;
      }
      await known(g.id, g.network);
    } else if (isKind(e, 'mutation')) {
      counts.mutations++;
      // Checked even when the child is already known (made twice): every event must reproduce.
      const child = derive(e);
      if (child !== undefined) await known(child[0], child[1]);
    } else if (isKind(e, 'evaluation')) {
      counts.evaluations++;
      const b = e.body;
      evaluations.set(e.id, {
        event: e.id,
        genotype: b.genotype,
        fitness: b.fitness,
        seed: b.seed,
        solved: b.solved,
      });
      if (options.reEvaluate && engine.evaluate !== undefined) {
        const net = networks.get(b.genotype);
        if (net === undefined) wait(waitingEvaluations, b.genotype, e);
        else await reEvaluate(e, net);
      }
    } else if (isKind(e, 'selection')) {
      onSelection(e);
    }
  };

  try {
    for await (const e of events) {
      if (options.signal?.aborted) throw new ProjectionError('ABORTED', 'replay aborted');
      await step(e);
      while (queue.length > 0) yield { type: 'divergence', divergence: queue.shift()! };
      if (counts.events % every === 0) yield { type: 'progress', counts: { ...counts } };
    }
    // What never became derivable.
    const missing = (g: GenotypeId, event: EventId, kind: string, check: ReplayCheck) =>
      diverge({
        code: 'UNKNOWN_GENOTYPE',
        event,
        kind,
        check,
        expected: g,
        got: 'no seed or mutation event derives it',
      });
    for (const [g, list] of [...waitingMutations].sort(([a], [b]) => (a < b ? -1 : 1))) {
      missing(g, list[0]!.id, 'mutation', 'unknown-parent');
    }
    for (const [g, selection] of namedSurvivors) {
      if (!networks.has(g) && !foreign.has(g))
        missing(g, selection, 'selection', 'unknown-survivor');
    }
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
  while (queue.length > 0) yield { type: 'divergence', divergence: queue.shift()! };
  const report: ReplayReport = {
    foreignEngines: [...foreignEngines].sort(),
    species,
    ...counts,
    ok: divergences.length === 0,
    engine: engine.name,
    divergences,
  };
  yield { type: 'done', report };
  return report;
}

/** Runs {@link replay} to the end and returns its report. */
export async function replayAll(
  events: AsyncIterable<LedgerEvent> | Iterable<LedgerEvent>,
  engine: ReplayEngine,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const it = replay(events, engine, options);
  for (;;) {
    const r = await it.next();
    if (r.done === true) return r.value;
  }
}
