import type { EventId } from '../crypto/index.js';

// Local mirror of the ledger's contract (will be exported from ../ledger/index.js
// as EventSink / EventDraft; switch the import when it lands).

/** What the engine hands to the ledger. */
export interface EventDraft {
  kind: string;
  deps: EventId[];
  body: object;
}

/** Where drafts go; returns the id the ledger assigned, synchronously. */
export interface EventSink {
  emit(draft: EventDraft): EventId;
}
