import type { BlockId, EventId, PublicKey, RealmId } from '../crypto/index.js';
import { blockEvents, verifyBlock } from './block.js';
import type { ChainHead } from './block.js';
import { isKind } from './event.js';
import { LedgerError } from './errors.js';
import type { LedgerErrorCode } from './errors.js';
import { realmIdOf } from './realm.js';
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

/**
 * Re-checks everything a store holds, in log order, as if it came from a
 * stranger: each block's signature and Merkle root, every author chain
 * (no gap, no fork, right previous block), every event's schema and
 * canonical form, that each dependency appeared earlier in the log, and that
 * every realm starts with a genesis that defines it.
 */
export async function* verifyStore(
  store: EventStore,
  options: { signal?: AbortSignal; every?: number } = {},
): AsyncGenerator<VerifyProgress> {
  const every = options.every ?? 100;
  const heads = new Map<string, ChainHead>();
  const seen = new Set<EventId>();
  const realms = new Set<RealmId>();
  const problems: VerifyProblem[] = [];
  let blocks = 0;
  let events = 0;
  const problem = (block: BlockId, code: LedgerErrorCode, message: string) =>
    problems.push({ block, code, message });

  for await (const block of store.blocks()) {
    options.signal?.throwIfAborted();
    blocks++;
    const h = block.header;
    try {
      verifyBlock(block);
      const key = `${h.realm}:${h.author}`;
      const head = heads.get(key);
      const expected = head === undefined ? 0 : head.seq + 1;
      if (h.seq !== expected) {
        problem(block.id, h.seq < expected ? 'CHAIN_FORK' : 'CHAIN_GAP', `block ${h.seq} of ${h.author}, expected ${expected}`);
      } else if (head !== undefined && (h.prev !== head.id || h.first !== head.nextEvent)) {
        problem(block.id, 'WRONG_PREV', `block ${block.id} does not follow ${head.id}`);
      }
      heads.set(key, { realm: h.realm, author: h.author as PublicKey, seq: h.seq, id: block.id, nextEvent: h.first + h.count });
      const decoded = blockEvents(block);
      const first = decoded[0];
      if (first !== undefined && isKind(first, 'genesis') && realmIdOf(first.body) === h.realm) realms.add(h.realm);
      if (!realms.has(h.realm)) problem(block.id, 'UNKNOWN_REALM', `realm ${h.realm} has no genesis before this block`);
      for (const e of decoded) {
        for (const dep of e.deps) {
          if (!seen.has(dep)) problem(block.id, 'UNKNOWN_DEPENDENCY', `event ${e.id} depends on ${dep}, not held before it`);
        }
        seen.add(e.id);
      }
      events += decoded.length;
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      problem(block.id, err.code, err.message);
    }
    if (blocks % every === 0) yield { type: 'progress', blocks, events, problems };
  }
  yield { type: 'done', blocks, events, problems };
}
