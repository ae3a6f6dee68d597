import type { EventId, Identity, RealmId } from '../crypto/index.js';
import { idFromBytes, idToBytes } from '../crypto/index.js';
import { sealBlock } from './block.js';
import type { ChainHead, SignedBlock } from './block.js';
import type { EventDraft, EventSink, LedgerEvent } from './event.js';
import { LedgerError } from './errors.js';
import type { Ledger } from './ledger.js';
import { encodeRecord, eventIdBytes } from './record.js';
import { codecOf } from './kinds/registry.js';

/** Options of a {@link LedgerWriter}. */
export interface WriterOptions {
  /** Events per signed block. Default 1000. */
  readonly blockSize?: number;
}

/**
 * Signs an author's events into blocks and appends them. `emit` is
 * synchronous and returns the event id at once (ids do not depend on the
 * signature), so the evolution engine can name an event in the deps of the
 * next; blocks are sealed every `blockSize` events and appended in the
 * background, in order. `flush` seals the partial block and resolves when
 * everything emitted so far is durable.
 */
export class LedgerWriter implements EventSink {
  readonly realm: RealmId;
  readonly #ledger: Ledger;
  readonly #identity: Identity;
  readonly #blockSize: number;
  readonly #realmBytes: Uint8Array;
  #head: ChainHead | undefined;
  #nextEvent: number;
  #records: Uint8Array[] = [];
  #ids: EventId[] = [];
  #idBytes: Uint8Array[] = [];
  #events: LedgerEvent[] = [];
  #appending: Promise<void> = Promise.resolve();
  #failure: unknown;
  #emitted = 0;

  constructor(
    ledger: Ledger,
    identity: Identity,
    realm: RealmId,
    head: ChainHead | undefined,
    options: WriterOptions = {},
  ) {
    this.#ledger = ledger;
    this.#identity = identity;
    this.realm = realm;
    this.#realmBytes = idToBytes(realm);
    this.#head = head;
    this.#nextEvent = head?.nextEvent ?? 0;
    this.#blockSize = options.blockSize ?? 1000;
  }

  /** Events emitted through this writer. */
  get emitted(): number {
    return this.#emitted;
  }

  /** Encodes, numbers and buffers one event; returns its id. */
  emit(draft: EventDraft): EventId {
    if (this.#failure !== undefined) throw this.#failure;
    const record = encodeRecord(draft);
    const raw = eventIdBytes(this.#realmBytes, this.#identity.publicKeyBytes, this.#nextEvent, record);
    const id = idFromBytes<EventId>(raw);
    // The event as the store will index it, built from the typed draft: our
    // own events are not decoded again (strangers' always are).
    this.#events.push({
      id,
      realm: this.realm,
      author: this.#identity.publicKey,
      seq: this.#nextEvent,
      v: codecOf(draft.kind)!.version,
      kind: draft.kind,
      deps: draft.deps,
      body: draft.body,
      known: true,
    } as LedgerEvent);
    this.#nextEvent++;
    this.#emitted++;
    this.#records.push(record);
    this.#ids.push(id);
    this.#idBytes.push(raw);
    if (this.#records.length >= this.#blockSize) this.#seal();
    return id;
  }

  #seal(): void {
    if (this.#records.length === 0) return;
    const block = sealBlock(this.#identity, this.realm, this.#head, this.#records, this.#ids, this.#idBytes);
    const events = this.#events;
    this.#head = {
      realm: this.realm,
      author: this.#identity.publicKey,
      seq: block.header.seq,
      id: block.id,
      nextEvent: block.header.first + block.header.count,
    };
    this.#records = [];
    this.#ids = [];
    this.#idBytes = [];
    this.#events = [];
    this.#appending = this.#appending
      .then(() => this.#append(block, events))
      .catch((err: unknown) => {
        this.#failure ??= err;
      });
  }

  async #append(block: SignedBlock, events: LedgerEvent[]): Promise<void> {
    if (this.#failure !== undefined) return;
    const report = await this.#ledger.ingest([block], { trusted: true, decoded: new Map([[block.id, events]]) });
    const rejection = report.rejected[0];
    if (rejection !== undefined) {
      this.#failure = new LedgerError(rejection.code, `own block refused: ${rejection.message}`);
    }
  }

  /** Waits until every sealed block is stored (backpressure for fast producers). */
  async settle(): Promise<void> {
    await this.#appending;
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Seals the partial block and waits until every emitted event is stored. */
  async flush(): Promise<void> {
    this.#seal();
    await this.#appending;
    if (this.#failure !== undefined) throw this.#failure;
  }
}
