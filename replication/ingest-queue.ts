import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import { LedgerError, peekBlock } from '../ledger/index.js';
import type { BlockHeader, ForkEvidence, Ledger, Rejection, SignedBlock } from '../ledger/index.js';
import type { ReplicationLimits } from './limits.js';

/** Where a session reports what it admitted and refused. */
export interface SessionSink {
  accepted(realm: RealmId, blocks: readonly SignedBlock[]): void;
  /** A final refusal; `offence` when the peer should be penalised for it. */
  rejected(realm: RealmId, rejection: Rejection, offence: boolean): void;
  forks(forks: readonly ForkEvidence[]): Promise<void>;
}

/** What an {@link IngestQueue} works with. */
export interface IngestQueueContext {
  readonly ledger: Ledger;
  readonly realm: RealmId;
  readonly limits: Pick<ReplicationLimits, 'maxQueuedBlocks' | 'maxPendingBlocks'>;
  readonly sink: SessionSink;
  /** Whether the session saw only part of the realm (a non-member's block is then not the peer's fault). */
  readonly truncated: () => boolean;
}

/**
 * A received block on its way to the ledger: its id and header (read
 * without decoding its records) and what the ledger is given, its bytes
 * (checked in full there, on worker threads when the ledger has them), or
 * the decoded block the ledger handed back with a verdict that may change.
 */
interface Arrived {
  readonly id: BlockId;
  readonly header: BlockHeader;
  readonly input: Uint8Array | SignedBlock;
}

const arrivedOf = (block: SignedBlock): Arrived => ({
  id: block.id,
  header: block.header,
  input: block,
});

/** A block the ledger may admit once others arrive. */
interface Parked {
  readonly block: Arrived;
  /** It waits for its predecessor in its author's chain (not for a dependency, genesis or membership). */
  readonly gap: boolean;
  /** The round in which it was parked. */
  readonly since: number;
}

/**
 * Blocks handed to one `ledger.ingest` call at most: what piles up while the
 * ledger works goes in the next call, and a call is short enough that the
 * session's sender (the same thread; the peer waits for what it sends) need
 * not wait long for it.
 */
const INGEST_BATCH = 16;

/**
 * Ledger calls in flight at once: the ledger checks the blocks of one (on
 * its worker threads, if any) while it applies the ordered rules to, and
 * writes, the one before.
 */
const IN_FLIGHT = 2;

/**
 * The blocks one sync session received, on their way through the ledger.
 * A block's header is read as it arrives (its records are not decoded here)
 * and its bytes queued; the ledger takes what is queued in calls of at most
 * {@link INGEST_BATCH} blocks, {@link IN_FLIGHT} calls at a time, while the
 * exchange goes on, and checks signature, Merkle root, chain, realm,
 * membership, schema and dependencies before anything is stored.
 *
 * Blocks the ledger may admit later (waiting for a predecessor, a
 * dependency, the genesis, a membership) are parked, and offered again only
 * when that can change the answer: once their chain grew, or (waiting for
 * anything else) once anything was admitted; all of them a last time at the
 * end. Offering every parked block with every call would have the ledger
 * check its signature and root again each time for nothing.
 */
export class IngestQueue {
  readonly #ctx: IngestQueueContext;
  /** Blocks waiting for the ledger, in arrival order. */
  #waiting: Arrived[] = [];
  /** The ledger calls running now. */
  readonly #calls = new Set<Promise<void>>();
  #pumping: Promise<void> | undefined;
  /** Calls are prepared and handed to the ledger one after the other, in order. */
  #order: Promise<unknown> = Promise.resolve();
  /** Blocks that may pass once others arrive, by id. */
  readonly #pending = new Map<string, Parked>();
  /** Ledger calls so far that admitted something. */
  #round = 0;
  /** The round in which each author's chain last grew. */
  readonly #grew = new Map<PublicKey, number>();
  /** The seq each author's chain reaches once the calls in flight are stored (their blocks admitted). */
  readonly #offered = new Map<PublicKey, number>();
  /** Wakes the pump when a block arrives while it waits for a call. */
  #wake: (() => void) | undefined;
  #error: Error | undefined;
  #accepted = 0;
  #rejected = 0;

  constructor(ctx: IngestQueueContext) {
    this.#ctx = ctx;
  }

  /** Blocks the ledger admitted. */
  get accepted(): number {
    return this.#accepted;
  }

  /** Blocks refused for good (undecodable ones included). */
  get rejected(): number {
    return this.#rejected;
  }

  /** Reads a block's header and queues its bytes; one whose header does not decode is the sender's fault. */
  push(bytes: Uint8Array): void {
    try {
      this.#waiting.push({ ...peekBlock(bytes), input: bytes });
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      this.#reject({ block: null, code: err.code, message: err.message }, true);
    }
    this.#wake?.();
    this.#pump();
  }

  /**
   * Waits while `maxQueuedBlocks` blocks wait for the ledger (the session
   * stops reading its stream meanwhile: backpressure); throws the ledger's
   * failure, if any.
   */
  async room(): Promise<void> {
    while (this.#waiting.length >= this.#ctx.limits.maxQueuedBlocks && this.#calls.size > 0) {
      await Promise.race(this.#calls);
    }
    if (this.#error !== undefined) throw this.#error;
  }

  /** Waits until every queued block went through the ledger. */
  async drain(): Promise<void> {
    while (this.#pumping !== undefined) await this.#pumping;
  }

  /** The end: drains the queue, then offers every parked block a last time. */
  async finish(): Promise<void> {
    await this.drain();
    if (this.#error !== undefined) throw this.#error;
    await this.#ingest([], true);
  }

  #reject(rejection: Rejection, offence: boolean): void {
    this.#rejected++;
    this.#ctx.sink.rejected(this.#ctx.realm, rejection, offence);
  }

  /** Starts passing waiting blocks to the ledger, unless that runs already. */
  #pump(): void {
    if (this.#pumping !== undefined || this.#error !== undefined) return;
    if (this.#waiting.length === 0 && !this.#anyDue()) return;
    this.#pumping = (async () => {
      for (;;) {
        const work = (this.#waiting.length > 0 || this.#anyDue()) && this.#error === undefined;
        if (!work || this.#calls.size >= IN_FLIGHT) {
          if (this.#calls.size === 0) return;
          // A call ends, or (with room for another call) a block arrives.
          await new Promise<void>((resolve) => {
            if (!work) this.#wake = resolve;
            void Promise.race(this.#calls).then(() => resolve());
          });
          this.#wake = undefined;
          continue;
        }
        const batch = this.#waiting.splice(0, INGEST_BATCH);
        const call = this.#ingest(batch)
          .catch((err: unknown) => {
            this.#error ??= err instanceof Error ? err : new Error(String(err));
          })
          .finally(() => {
            this.#calls.delete(call);
            if (this.#calls.size === 0) this.#offered.clear();
          });
        this.#calls.add(call);
      }
    })().finally(() => {
      this.#pumping = undefined;
      this.#pump();
    });
  }

  /** Whether a parked block may pass now (see the class comment). */
  #due(p: Parked): boolean {
    return p.gap ? (this.#grew.get(p.block.header.author) ?? -1) > p.since : this.#round > p.since;
  }

  #anyDue(): boolean {
    for (const p of this.#pending.values()) if (this.#due(p)) return true;
    return false;
  }

  /**
   * Parks the blocks whose chain has a hole before them (their predecessor
   * is neither stored, nor in a call in flight, nor in this call), and
   * returns the others: the ledger would check each parked one's signature
   * and root only to answer `CHAIN_GAP`. They are offered once their chain
   * grows, or at the end.
   */
  async #holdGaps(input: Arrived[]): Promise<Arrived[]> {
    const next = new Map<PublicKey, number>();
    for (const b of input) {
      const author = b.header.author;
      if (next.has(author)) continue;
      const head = await this.#ctx.ledger.store.head(this.#ctx.realm, author);
      next.set(
        author,
        Math.max(head === undefined ? 0 : head.seq + 1, this.#offered.get(author) ?? 0),
      );
    }
    const bySeq = [...input].sort(
      (x, y) =>
        (x.header.author < y.header.author ? -1 : x.header.author > y.header.author ? 1 : 0) ||
        x.header.seq - y.header.seq,
    );
    const held = new Set<Arrived>();
    for (const b of bySeq) {
      const expected = next.get(b.header.author)!;
      if (b.header.seq === expected) next.set(b.header.author, expected + 1);
      else if (b.header.seq > expected && this.#pending.size < this.#ctx.limits.maxPendingBlocks) {
        held.add(b);
        this.#pending.set(b.id, { block: b, gap: true, since: this.#round });
      }
    }
    for (const [author, seq] of next) this.#offered.set(author, seq);
    return held.size === 0 ? input : input.filter((b) => !held.has(b));
  }

  /** The blocks of a call (with the parked ones that may pass now; all of them at the end), handed to the ledger. */
  async #offer(blocks: readonly Arrived[], final: boolean) {
    const input: Arrived[] = [];
    for (const [id, p] of this.#pending) {
      if (!final && !this.#due(p)) continue;
      input.push(p.block);
      this.#pending.delete(id);
    }
    input.push(...blocks);
    const offered = final ? input : await this.#holdGaps(input);
    if (offered.length === 0) return undefined;
    // The ledger checks signature and Merkle root (and names the block in its
    // rejection, so a refusal is counted once, not per session).
    // Wrapped, so that the next call is handed over without waiting for this one's report.
    const report = this.#ctx.ledger.ingest(
      offered.map((b) => b.input),
      { realm: this.#ctx.realm },
    );
    return { report };
  }

  /** Validates and stores blocks (see {@link IngestQueue.#offer}), then sorts the verdicts. */
  async #ingest(blocks: readonly Arrived[], final = false): Promise<void> {
    const realm = this.#ctx.realm;
    // Prepared and handed over in call order, so that the ledger sees a chain's blocks in order.
    const offered = this.#order.then(() => this.#offer(blocks, final));
    this.#order = offered.then(
      () => undefined,
      () => undefined,
    );
    const call = await offered;
    if (call === undefined) return;
    const report = await call.report;
    if (report.accepted.length > 0) {
      this.#accepted += report.accepted.length;
      this.#round++;
      for (const b of report.accepted) this.#grew.set(b.header.author, this.#round);
      this.#ctx.sink.accepted(realm, report.accepted);
    }
    if (report.forks.length > 0) await this.#ctx.sink.forks(report.forks);
    const truncated = this.#ctx.truncated();
    // The ledger names the blocks whose verdict may change once others arrive:
    // those wait here, and are never the sender's fault on their own.
    const retryable = new Map<string, SignedBlock>(report.retryable.map((b) => [b.id, b]));
    for (const r of report.rejected) {
      const block = r.block === null ? undefined : retryable.get(r.block);
      const waits = block !== undefined;
      if (!final && waits && this.#pending.size < this.#ctx.limits.maxPendingBlocks) {
        this.#pending.set(block.id, {
          block: arrivedOf(block),
          gap: r.code === 'CHAIN_GAP',
          since: this.#round,
        });
        continue;
      }
      // A non-member's block is the peer's fault only when the session saw the whole realm.
      const offence = r.code === 'NOT_A_MEMBER' ? !truncated : !waits && r.code !== 'CHAIN_FORK';
      this.#reject(r, offence);
    }
  }
}
