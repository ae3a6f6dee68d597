import type { PublicKey, RealmId } from '../crypto/index.js';
import { decodeBlock, LedgerError } from '../ledger/index.js';
import type { ForkEvidence, Ledger, Rejection, SignedBlock } from '../ledger/index.js';
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

/** A block the ledger may admit once others arrive. */
interface Parked {
  readonly block: SignedBlock;
  /** It waits for its predecessor in its author's chain (not for a dependency, genesis or membership). */
  readonly gap: boolean;
  /** The round in which it was parked. */
  readonly since: number;
}

/**
 * Blocks handed to one `ledger.ingest` call at most: what piles up while the
 * ledger works goes in the next call, and a call is short enough that a
 * turn of the session (which the peer waits for) need not wait long for it.
 */
const INGEST_BATCH = 16;

/**
 * The blocks one sync session received, on their way through the ledger.
 * A block is decoded (structure only) as it arrives and queued; the ledger
 * takes what is queued in calls of at most {@link INGEST_BATCH} blocks while
 * the exchange goes on, and checks signature, Merkle root, chain, realm,
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
  /** Decoded blocks waiting for the ledger, in arrival order. */
  #waiting: SignedBlock[] = [];
  /** The ledger call running now (undefined between calls). */
  #current: Promise<void> | undefined;
  #pumping: Promise<void> | undefined;
  /** Set while the session sends a turn: no ledger call starts meanwhile. */
  #paused: Promise<void> | undefined;
  /** Blocks that may pass once others arrive, by id. */
  readonly #pending = new Map<string, Parked>();
  /** Ledger calls so far that admitted something. */
  #round = 0;
  /** The round in which each author's chain last grew. */
  readonly #grew = new Map<PublicKey, number>();
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

  /** Decodes a block's structure and queues it; one that does not decode is the sender's fault. */
  push(bytes: Uint8Array): void {
    try {
      this.#waiting.push(decodeBlock(bytes, { verify: false }));
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      this.#reject({ block: null, code: err.code, message: err.message }, true);
    }
    this.#pump();
  }

  /**
   * Runs `work` (the session's turn) with no new ledger call starting
   * meanwhile: the peer is idle until our documents arrive, and validation
   * can wait, so the sender's work comes first.
   */
  async paused<T>(work: () => Promise<T>): Promise<T> {
    let done!: () => void;
    this.#paused = new Promise<void>((resolve) => (done = resolve));
    try {
      return await work();
    } finally {
      this.#paused = undefined;
      done();
    }
  }

  /**
   * Waits while `maxQueuedBlocks` blocks wait for the ledger (the session
   * stops reading its stream meanwhile: backpressure); throws the ledger's
   * failure, if any.
   */
  async room(): Promise<void> {
    while (
      this.#waiting.length >= this.#ctx.limits.maxQueuedBlocks &&
      this.#current !== undefined
    ) {
      await this.#current;
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
      while ((this.#waiting.length > 0 || this.#anyDue()) && this.#error === undefined) {
        while (this.#paused !== undefined) await this.#paused;
        const batch = this.#waiting.splice(0, INGEST_BATCH);
        const call = this.#ingest(batch).catch((err: unknown) => {
          this.#error ??= err instanceof Error ? err : new Error(String(err));
        });
        this.#current = call;
        await call;
        this.#current = undefined;
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
   * is neither stored nor in this call), and returns the others: the ledger
   * would check each parked one's signature and root only to answer
   * `CHAIN_GAP`. They are offered once their chain grows, or at the end.
   */
  async #holdGaps(input: SignedBlock[]): Promise<SignedBlock[]> {
    const next = new Map<PublicKey, number>();
    for (const b of input) {
      const author = b.header.author;
      if (next.has(author)) continue;
      const head = await this.#ctx.ledger.store.head(this.#ctx.realm, author);
      next.set(author, head === undefined ? 0 : head.seq + 1);
    }
    const bySeq = [...input].sort(
      (x, y) =>
        (x.header.author < y.header.author ? -1 : x.header.author > y.header.author ? 1 : 0) ||
        x.header.seq - y.header.seq,
    );
    const held = new Set<SignedBlock>();
    for (const b of bySeq) {
      const expected = next.get(b.header.author)!;
      if (b.header.seq === expected) next.set(b.header.author, expected + 1);
      else if (b.header.seq > expected && this.#pending.size < this.#ctx.limits.maxPendingBlocks) {
        held.add(b);
        this.#pending.set(b.id, { block: b, gap: true, since: this.#round });
      }
    }
    return held.size === 0 ? input : input.filter((b) => !held.has(b));
  }

  /** Validates and stores blocks (with the parked ones that may pass now; all of them at the end). */
  async #ingest(blocks: readonly SignedBlock[], final = false): Promise<void> {
    const realm = this.#ctx.realm;
    const input: SignedBlock[] = [];
    for (const [id, p] of this.#pending) {
      if (!final && !this.#due(p)) continue;
      input.push(p.block);
      this.#pending.delete(id);
    }
    input.push(...blocks);
    const offered = final ? input : await this.#holdGaps(input);
    if (offered.length === 0) return;
    // The ledger checks signature and Merkle root (and names the block in its
    // rejection, so a refusal is counted once, not per session).
    const report = await this.#ctx.ledger.ingest(offered, { realm });
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
        this.#pending.set(block.id, { block, gap: r.code === 'CHAIN_GAP', since: this.#round });
        continue;
      }
      // A non-member's block is the peer's fault only when the session saw the whole realm.
      const offence = r.code === 'NOT_A_MEMBER' ? !truncated : !waits && r.code !== 'CHAIN_FORK';
      this.#reject(r, offence);
    }
  }
}
