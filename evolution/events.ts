import type { EventId, GenotypeId } from '../crypto/index.js';
import type { CanonicalGenotype } from './genotype.js';
import type { AppliedOp } from './operator.js';

/** Engine name and version recorded in run events. */
export const ENGINE = 'evoledger-tweann/1';

/** Body of a `run` event (deps: none). The run id is this event's id. */
export interface RunBody {
  readonly task: { readonly id: string; readonly version: number; readonly params: object };
  readonly seed: number;
  readonly config: object;
  readonly engine: string;
}

/** Body of a `seed` event (deps: [run]): a generation-0 network. */
export interface SeedBody {
  readonly run: EventId;
  readonly genotype: GenotypeId;
  readonly network: CanonicalGenotype;
}

/** Body of a `mutation` event (deps: the events that introduced parent and mate). */
export interface MutationBody {
  readonly run: EventId;
  readonly generation: number;
  readonly parent: GenotypeId;
  readonly mate?: GenotypeId;
  readonly child: GenotypeId;
  readonly seed: number;
  readonly ops: readonly AppliedOp[];
}

/** Body of an `evaluation` event (deps: [the event that introduced the genotype]). */
export interface EvaluationBody {
  readonly run: EventId;
  readonly genotype: GenotypeId;
  readonly task: { readonly id: string; readonly version: number };
  readonly seed: number;
  readonly fitness: number | readonly number[];
  readonly cost: number;
  readonly solved: boolean;
  /** Fitness evaluations this event accounts for: 1 + tuning attempts. */
  readonly evaluations: number;
}

/** Body of a `selection` event (deps: the evaluation events considered, in candidate order). */
export interface SelectionBody {
  readonly run: EventId;
  readonly generation: number;
  readonly previous: EventId | null;
  readonly survivors: readonly GenotypeId[];
  readonly method: string;
  readonly best: number;
}

/** An event as read back from a ledger (for resume). */
export interface RecordedEvent {
  readonly id: EventId;
  readonly kind: string;
  readonly deps?: readonly EventId[];
  readonly body: unknown;
}
