import type { EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import type { TaskRef } from '../ledger/index.js';
import { BestTable, MutationViaTable, OriginTable, SeedRunTable } from './column-views.js';
import type { ReadonlyTable } from './column-views.js';
import type { ExactSum } from './exact-sum.js';
import type { Fitness } from './fitness.js';
import { StateColumns } from './state-columns.js';

/** What a `run` event says about its run. */
export interface RunFacts {
  readonly id: EventId;
  readonly realm: RealmId;
  readonly author: PublicKey;
  readonly task: TaskRef;
  readonly taskKey: string;
  readonly seed: number;
  readonly engine: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** What a `selection` event says, plus how many evaluations it considered (its deps). */
export interface SelectionFacts {
  readonly id: EventId;
  readonly realm: RealmId;
  readonly run: EventId;
  readonly author: PublicKey;
  readonly generation: number;
  readonly previous: EventId | null;
  readonly survivors: readonly GenotypeId[];
  readonly method: string;
  readonly best: number;
  readonly considered: number;
}

/** Where a genotype came from: the seed or mutation event that brings it in. */
export interface OriginFacts {
  readonly event: EventId;
  readonly kind: 'seed' | 'mutation';
  readonly author: PublicKey;
  /**
   * A seed's run; null for a mutation, whose run is the run of the event it
   * names first in its deps (its parent's origin), resolved by {@link runOfEvent}.
   */
  readonly run: EventId | null;
  /** A mutation's first dep (its parent's origin event); null for a seed. */
  readonly via: EventId | null;
  /** The generation the mutation names; seeds are generation 0. */
  readonly generation: number;
  readonly parent: GenotypeId | null;
  readonly mate: GenotypeId | null;
  readonly ops: number;
}

/** The best evaluation held for a genotype (or a run, or a task's champion). */
export interface BestFacts {
  readonly evaluation: EventId;
  readonly genotype: GenotypeId;
  readonly author: PublicKey;
  readonly run: EventId;
  readonly fitness: Fitness;
  readonly solved: boolean;
}

/** A champion: the best evaluation of a task in a realm. */
export interface ChampionFacts extends BestFacts {
  readonly realm: RealmId;
  readonly task: TaskRef;
  readonly taskKey: string;
}

/** Additive totals of one run. */
export interface RunTotals {
  evaluations: number;
  evaluationEvents: number;
  /** Exact partial sums of the evaluations' cost (see exact-sum.ts). */
  cost: ExactSum;
  seeds: number;
  selections: number;
  solved: number;
}

/** Additive totals of one author. */
export interface AuthorTotals {
  evaluations: number;
  evaluationEvents: number;
  mutations: number;
  seeds: number;
  selections: number;
  events: number;
  /** A valid `evidence` event proves this author signed two blocks for one place in its chain. */
  forked?: boolean;
}

/**
 * The accumulator of the projection fold. Every field is either keyed by an
 * id (set-like: a second copy changes nothing), a maximum under a total
 * order (fitness, then ids), or a sum over distinct events; so the state
 * after folding a set of events does not depend on their order.
 *
 * The state is owned by its fold: `evolve` updates it in place (copying maps
 * of a million entries per event would defeat the purpose) and returns it.
 *
 * The four tables that grow with the ledger (`seedRun`, `mutationVia`,
 * `origins`, `bestOf`) are typed columns (`columns`, see state-columns.ts)
 * shown as read-only maps whose values are made when read; the others are
 * maps of a few entries per run, task or author.
 */
export interface ProjectionState {
  readonly runs: Map<EventId, RunFacts>;
  /** Every seed event and its run. */
  readonly seedRun: ReadonlyTable<EventId, EventId>;
  /** Every mutation event and its first dep (whose run is its run). */
  readonly mutationVia: ReadonlyTable<EventId, EventId | null>;
  readonly selections: Map<EventId, SelectionFacts>;
  readonly origins: ReadonlyTable<GenotypeId, OriginFacts>;
  readonly bestOf: ReadonlyTable<GenotypeId, BestFacts>;
  readonly runBest: Map<EventId, BestFacts>;
  readonly champions: Map<string, ChampionFacts>;
  readonly runTotals: Map<EventId, RunTotals>;
  readonly authors: Map<PublicKey, AuthorTotals>;
  /**
   * Ids of the events folded so far, so that a duplicate is not summed twice;
   * null when the source promises distinct events (a store's log does).
   */
  readonly seen: Set<EventId> | null;
  /** Distinct events folded (of every kind, known or not). */
  events: number;
  /** Events of kinds or versions this code does not know (kept, not interpreted). */
  unknown: number;
  /**
   * The columns behind the four large tables, which the fold writes
   * (not enumerable: the tables show what they hold, in any order of folding).
   */
  readonly columns: StateColumns;
}

/** Options of {@link initialState}. */
export interface StateOptions {
  /**
   * The events folded are known to be distinct (a store's log): skip the
   * duplicate check and its memory. Default false.
   */
  readonly distinct?: boolean;
}

/** An empty projection state. */
export function initialState(options: StateOptions = {}): ProjectionState {
  const columns = new StateColumns();
  const state: Omit<ProjectionState, 'columns'> = {
    runs: new Map(),
    seedRun: new SeedRunTable(columns),
    mutationVia: new MutationViaTable(columns),
    selections: new Map(),
    origins: new OriginTable(columns),
    bestOf: new BestTable(columns),
    runBest: new Map(),
    champions: new Map(),
    runTotals: new Map(),
    authors: new Map(),
    seen: options.distinct ? null : new Set(),
    events: 0,
    unknown: 0,
  };
  return Object.defineProperty(state, 'columns', {
    value: columns,
    enumerable: false,
  }) as ProjectionState;
}
