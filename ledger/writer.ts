import type { EventId, Identity, RealmId } from '../crypto/index.js';
import { idToBytes } from '../crypto/index.js';
import { sealBlock } from './block.js';
import type { ChainHead, SignedBlock } from './block.js';
import type { EventDraft, EventSink } from './event.js';
import { LedgerError } from './errors.js';
import type { Ledger } from './ledger.js';
import { eventIdOf, encodeRecord } from './record.js';

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
    const id = eventIdOf(this.#realmBytes, this.#identity.publicKeyBytes, this.#nextEvent, record);
    this.#nextEvent++;
    this.#emitted++;
    this.#records.push(record);
    this.#ids.push(id);
    if (this.#records.length >= this.#blockSize) this.#seal();
    return id;
  }

  #seal(): void {
    if (this.#records.length === 0) return;
    const block = sealBlock(this.#identity, this.realm, this.#head, this.#records, this.#ids);
    this.#head = {
      realm: this.realm,
      author: this.#identity.publicKey,
      seq: block.header.seq,
      id: block.id,
      nextEvent: block.header.first + block.header.count,
    };
    this.#records = [];
    this.#ids = [];
    this.#appending = this.#appending
      .then(() => this.#append(block))
      .catch((err: unknown) => {
        this.#failure ??= err;
      });
  }

  async #append(block: SignedBlock): Promise<void> {
    if (this.#failure !== undefined) return;
    const report = await this.#ledger.ingest([block], { trusted: true });
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
