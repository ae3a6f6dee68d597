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
  /** This block's raw ids laid end to end (a new buffer each block: the block keeps it). */
  #idBytes: Buffer;
  #events: LedgerEvent[] = [];
  #appending: Promise<void> = Promise.resolve();
  #queue: { block: SignedBlock; events: LedgerEvent[] }[] = [];
  #inFlight = 0;
  #draining = false;
  #waiters: (() => void)[] = [];
  #failure: Error | undefined;
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
    this.#idBytes = Buffer.allocUnsafe(32 * this.#blockSize);
  }

  /** Events emitted through this writer. */
  get emitted(): number {
    return this.#emitted;
  }

  /** Encodes, numbers and buffers one event; returns its id. */
  emit(draft: EventDraft): EventId {
    if (this.#failure !== undefined) throw this.#failure;
    const record = encodeRecord(draft);
    const raw = eventIdBytes(
      this.#realmBytes,
      this.#identity.publicKeyBytes,
      this.#nextEvent,
      record,
    );
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
    this.#idBytes.set(raw, 32 * this.#ids.length);
    this.#ids.push(id);
    if (this.#records.length >= this.#blockSize) this.#seal();
    return id;
  }

  #seal(): void {
    if (this.#records.length === 0) return;
    const block = sealBlock(
      this.#identity,
      this.realm,
      this.#head,
      this.#records,
      this.#ids,
      this.#idBytes.subarray(0, 32 * this.#ids.length),
    );
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
    this.#idBytes = Buffer.allocUnsafe(32 * this.#blockSize);
    this.#events = [];
    this.#queue.push({ block, events });
    if (!this.#draining) this.#appending = this.#drain();
  }

  /**
   * Group commit: while one batch is being made durable, newly sealed blocks
   * queue up and go together in the next batch (one fsync for all of them).
   */
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0 && this.#failure === undefined) {
        const batch = this.#queue.splice(0);
        this.#inFlight = batch.length;
        const decoded = new Map(batch.map((b) => [b.block.id, b.events]));
        const report = await this.#ledger.ingest(
          batch.map((b) => b.block),
          { trusted: true, decoded },
        );
        const rejection = report.rejected[0];
        if (rejection !== undefined) {
          this.#failure = new LedgerError(
            rejection.code,
            `own block refused: ${rejection.message}`,
          );
        }
        this.#inFlight = 0;
        for (const wake of this.#waiters.splice(0)) wake();
      }
    } catch (err) {
      this.#failure ??= err instanceof Error ? err : new Error(String(err));
    } finally {
      this.#draining = false;
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  /**
   * Backpressure for fast producers: waits until at most `maxPending` sealed
   * blocks are not yet durable (default 0: all of them are).
   */
  async settle(maxPending = 0): Promise<void> {
    while (
      this.#queue.length + this.#inFlight > maxPending &&
      this.#draining &&
      this.#failure === undefined
    ) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Seals the partial block and waits until every emitted event is stored. */
  async flush(): Promise<void> {
    this.#seal();
    await this.#appending;
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Sealed blocks not yet durable. */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }
}
