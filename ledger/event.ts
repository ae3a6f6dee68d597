import type { EventId, PublicKey, RealmId } from '../crypto/index.js';
import type { BodyOf, KnownKind } from './kinds/registry.js';

/** What the evolution engine (or any writer) hands to the ledger. */
export type EventDraft = {
  [K in KnownKind]: {
    readonly kind: K;
    readonly deps: readonly EventId[];
    readonly body: BodyOf<K>;
  };
}[KnownKind];

/** Where drafts go; returns the id the event got, synchronously. */
export interface EventSink {
  emit(draft: EventDraft): EventId;
}

/** Fields every event has, whatever its kind. */
export interface EventEnvelope {
  readonly id: EventId;
  readonly realm: RealmId;
  readonly author: PublicKey;
  /** The author's event sequence number in this realm, from 0. */
  readonly seq: number;
  /** Schema version of the body as written. */
  readonly v: number;
  readonly deps: readonly EventId[];
}

/** An event of a kind this version understands, its body validated. */
export type KnownEvent = {
  [K in KnownKind]: EventEnvelope & {
    readonly kind: K;
    readonly body: BodyOf<K>;
    readonly known: true;
  };
}[KnownKind];

/** An event of a kind or version this code does not know: kept and passed on, never dropped. */
export interface UnknownEvent extends EventEnvelope {
  readonly kind: string;
  readonly body: unknown;
  readonly known: false;
}

/** Any event. */
export type LedgerEvent = KnownEvent | UnknownEvent;

/** An event of kind `K`. */
export type EventOf<K extends KnownKind> = Extract<KnownEvent, { kind: K }>;

/** Narrows an event to a known kind. */
export function isKind<K extends KnownKind>(event: LedgerEvent, kind: K): event is EventOf<K> {
  return event.known && event.kind === kind;
}
