import type { EventId } from '../crypto/index.js';

// Event bodies are the ledger's v1 kinds (the engine only produces them).
export type {
  EvaluationBody,
  MutationBody,
  RunBody,
  SeedBody,
  SelectionBody,
} from '../ledger/index.js';

/** Engine name and version recorded in run events. */
export const ENGINE = 'evoledger-tweann/1';

/** An event as read back from a ledger (for resume). */
export interface RecordedEvent {
  readonly id: EventId;
  readonly kind: string;
  readonly deps?: readonly EventId[];
  readonly body: unknown;
}
