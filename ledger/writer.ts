import type { EventId, Identity, RealmId } from '../crypto/index.js';
import { idFromBytes, idToBytes } from '../crypto/index.js';
import { sealBlock } from './block.js';
import type { ChainHead, SignedBlock } from './block.js';
import { BlockFacts } from './block-facts.js';
import type { RealmEvent } from './block-facts.js';
import type { EventDraft, EventSink } from './event.js';
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
  /** This block's raw ids laid end to end (a new buffer each block: the block keeps it). */
  #idBytes: Buffer;
  /** This block's events as the ledger and the store's indexes take them. */
  #facts = new BlockFacts();
  #appending: Promise<void> = Promise.resolve();
  #queue: { block: SignedBlock; facts: BlockFacts }[] = [];
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
    const codec = codecOf(draft.kind)!;
    // The event's facts, taken from the typed draft: our own events are not
    // decoded again (strangers' always are).
    const realmEvent =
      draft.kind === 'genesis' || draft.kind === 'membership'
        ? ({
            id,
            realm: this.realm,
            author: this.#identity.publicKey,
            seq: this.#nextEvent,
            v: codec.version,
            kind: draft.kind,
            deps: draft.deps,
            body: draft.body,
            known: true,
          } as RealmEvent)
        : undefined;
    this.#idBytes.set(raw, 32 * this.#facts.count);
    this.#facts.add(id, draft.kind, draft.deps, codec.genotypes(draft.body), realmEvent);
    this.#nextEvent++;
    this.#emitted++;
    this.#records.push(record);
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
      this.#facts.ids,
      this.#idBytes.subarray(0, 32 * this.#facts.count),
    );
    const facts = this.#facts;
    this.#head = {
      realm: this.realm,
      author: this.#identity.publicKey,
      seq: block.header.seq,
      id: block.id,
      nextEvent: block.header.first + block.header.count,
    };
    this.#records = [];
    this.#idBytes = Buffer.allocUnsafe(32 * this.#blockSize);
    this.#facts = new BlockFacts();
    this.#queue.push({ block, facts });
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
        const facts = new Map(batch.map((b) => [b.block.id, b.facts]));
        const report = await this.#ledger.ingest(
          batch.map((b) => b.block),
          { trusted: true, facts },
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
