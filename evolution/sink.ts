// The ledger's contract, re-exported so engine users need one import.
export type { EventDraft, EventSink } from '../ledger/index.js';
