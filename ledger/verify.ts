import { bufferView, IdTable } from '../crypto/index.js';
import type { BlockId, RealmId } from '../crypto/index.js';
import type { BlockCheck } from './block-check.js';
import { storedBlockBytes } from './block-bytes.js';
import { chainLink } from './block.js';
import { inlineChecker, workerChecker } from './block-checker.js';
import type { BlockChecker } from './block-checker.js';
import type { LedgerErrorCode } from './errors.js';
import { isKind } from './event.js';
import { RealmState, realmIdOf } from './realm.js';
import type { EventStore } from './store.js';

/** One thing wrong with a stored block. */
export interface VerifyProblem {
  readonly block: BlockId;
  readonly code: LedgerErrorCode;
  readonly message: string;
}

/** Progress of {@link verifyStore}, yielded every `every` blocks and at the end. */
export interface VerifyProgress {
  readonly type: 'progress' | 'done';
  readonly blocks: number;
  readonly events: number;
  readonly problems: readonly VerifyProblem[];
}

/** Options of {@link verifyStore}. */
export interface VerifyOptions {
  readonly signal?: AbortSignal;
  /** Yield progress every this many blocks (default 100). */
  readonly every?: number;
  /** Worker threads for the per-block checks (default: one per core; 0 or 1: this thread). */
  readonly workers?: number;
}

const BATCH = 8;

/**
 * Re-checks everything a store holds, in log order, as if it came from a
 * stranger: each block's signature and Merkle root and every event's
 * canonical form and schema (in parallel, on worker threads), then in order
 * every author chain (no gap, no fork, right previous block), that every
 * realm starts with a genesis that defines it, that closed realms hold only
 * members' blocks, and that each dependency appeared earlier in the log.
 */
export async function* verifyStore(
  store: EventStore,
  options: VerifyOptions = {},
): AsyncGenerator<VerifyProgress> {
  const every = options.every ?? 100;
  const workers = options.workers ?? undefined;
  const checker: BlockChecker =
    workers !== undefined && workers <= 1 ? inlineChecker() : workerChecker(workers);
  const ordered = new OrderedChecks((await store.counts()).events);
  let blocks = 0;
  let sinceYield = 0;
  try {
    // Keep a few batches in flight so every worker stays busy while this
    // thread reads the store and runs the ordered checks.
    const inFlight: { ids: BlockId[]; checks: Promise<BlockCheck[]> }[] = [];
    let batch: Uint8Array[] = [];
    let ids: BlockId[] = [];
    const depth = 4 * Math.max(1, workers ?? 2);
    const drain = async function* (until: number) {
      while (inFlight.length > until) {
        const done = inFlight.shift()!;
        for (const [i, c] of (await done.checks).entries()) {
          ordered.apply(done.ids[i]!, c);
          blocks++;
          if (++sinceYield >= every) {
            sinceYield = 0;
            yield ordered.progress('progress', blocks);
          }
        }
      }
    };
    // Blocks as bytes: this thread never decodes them (the workers do).
    for await (const block of storedBlockBytes(store)) {
      options.signal?.throwIfAborted();
      batch.push(block.bytes);
      ids.push(block.id);
      if (batch.length >= BATCH) {
        inFlight.push({ ids, checks: checker.check(batch) });
        batch = [];
        ids = [];
        yield* drain(depth);
      }
    }
    if (batch.length > 0) inFlight.push({ ids, checks: checker.check(batch) });
    yield* drain(0);
  } finally {
    await checker.close();
  }
  yield ordered.progress('done', blocks);
}

/** The checks that need log order: chains, realms, membership, dependencies. */
class OrderedChecks {
  readonly #heads = new Map<string, { seq: number; id: BlockId; nextEvent: number }>();
  /** Every event id seen so far, as raw bytes (no string, no object per id). */
  readonly #seen = new IdTable();
  readonly #realms = new Map<RealmId, RealmState>();
  readonly #problems: VerifyProblem[] = [];
  #events = 0;

  /** Checks for a store of about `events` events (room is made for them up front). */
  constructor(events: number) {
    this.#seen.reserve(events);
  }

  progress(type: 'progress' | 'done', blocks: number): VerifyProgress {
    return { type, blocks, events: this.#events, problems: this.#problems };
  }

  #problem(block: BlockId, code: LedgerErrorCode, message: string): void {
    this.#problems.push({ block, code, message });
  }

  /** Applies the check of the block stored as `id`. */
  apply(id: BlockId, c: BlockCheck): void {
    if (!c.ok) {
      this.#problem(id, c.code, c.message);
      return;
    }
    if (c.id !== id) this.#problem(id, 'BAD_ROOT', `block stored as ${id} hashes to ${c.id}`);
    const key = `${c.realm}:${c.author}`;
    const head = this.#heads.get(key);
    const link = chainLink(head, c);
    if (link === 'behind' || link === 'ahead') {
      const expected = head === undefined ? 0 : head.seq + 1;
      const code = link === 'behind' ? 'CHAIN_FORK' : 'CHAIN_GAP';
      this.#problem(c.id, code, `block ${c.seq} of ${c.author}, expected ${expected}`);
    } else if (link === 'unlinked') {
      this.#problem(
        c.id,
        'WRONG_PREV',
        `block ${c.id} does not follow ${head?.id ?? 'the chain start'}`,
      );
    }
    this.#heads.set(key, { seq: c.seq, id: c.id, nextEvent: c.first + c.count });

    const first = c.realmEvents[0];
    if (
      first !== undefined &&
      isKind(first, 'genesis') &&
      first.seq === 0 &&
      realmIdOf(first.body) === c.realm
    ) {
      if (!this.#realms.has(c.realm)) this.#realms.set(c.realm, new RealmState(first));
    }
    const realm = this.#realms.get(c.realm);
    if (realm === undefined) {
      this.#problem(c.id, 'UNKNOWN_REALM', `realm ${c.realm} has no genesis before this block`);
    } else if (!realm.mayWrite(c.author)) {
      this.#problem(
        c.id,
        'NOT_A_MEMBER',
        `${c.author} is not a member of closed realm "${realm.name}"`,
      );
    }
    for (const e of c.realmEvents) realm?.apply(e);

    const ids = bufferView(c.ids);
    const deps = bufferView(c.deps);
    for (let i = 0, d = 0; i < c.count; i++) {
      for (const end = c.depEnds[i]!; d < end; d++) {
        if (this.#seen.find(deps, d * 32) < 0) {
          this.#problem(
            c.id,
            'UNKNOWN_DEPENDENCY',
            `event ${ids.toString('hex', i * 32, i * 32 + 32)} depends on ` +
              `${deps.toString('hex', d * 32, d * 32 + 32)}, not held before it`,
          );
        }
      }
      this.#seen.intern(ids, i * 32);
    }
    this.#events += c.count;
  }
}
