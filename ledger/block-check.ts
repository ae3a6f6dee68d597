import { idToBytes } from '../crypto/index.js';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import { blockEvents, decodeBlockWithIds } from './block.js';
import type { LedgerEvent } from './event.js';
import { LedgerError } from './errors.js';
import type { LedgerErrorCode } from './errors.js';

/**
 * What can be checked of one block on its own (signature, Merkle root,
 * canonical form and schema of every event), reduced to what the ordered
 * checks need (chain, realm, membership, dependencies). Plain data whose
 * bulk (ids and dependencies) sits in two byte arrays, so it crosses a
 * worker boundary by transfer, not by cloning a thousand strings.
 */
export type BlockCheck =
  | {
      readonly ok: true;
      readonly id: BlockId;
      readonly realm: RealmId;
      readonly author: PublicKey;
      readonly seq: number;
      readonly prev: BlockId | null;
      readonly first: number;
      readonly count: number;
      /** The event ids, 32 raw bytes each, in block order. */
      readonly ids: Uint8Array;
      /** Every event's dependencies, 32 raw bytes each, event after event. */
      readonly deps: Uint8Array;
      /** Where event `i`'s dependencies end in `deps`, counted in ids. */
      readonly depEnds: Uint32Array;
      /** Genesis and membership events: the realm rules need them. */
      readonly realmEvents: readonly LedgerEvent[];
    }
  | {
      readonly ok: false;
      readonly code: LedgerErrorCode;
      readonly message: string;
      /** True when the block verified and one of its events did not. */
      readonly inEvents: boolean;
    };

/** Checks one encoded block on its own. */
export function checkBlock(bytes: Uint8Array): BlockCheck {
  let decoded;
  try {
    decoded = decodeBlockWithIds(bytes, { verify: true });
  } catch (err) {
    return failure(err, false);
  }
  try {
    const { block, idBytes } = decoded;
    const events = blockEvents(block);
    const h = block.header;
    const ids = idBytes!;
    const depEnds = new Uint32Array(h.count);
    let total = 0;
    events.forEach((e, i) => (depEnds[i] = total += e.deps.length));
    const deps = new Uint8Array(total * 32);
    let at = 0;
    for (const e of events) for (const dep of e.deps) deps.set(idToBytes(dep), 32 * at++);
    return {
      ok: true,
      id: block.id,
      realm: h.realm,
      author: h.author,
      seq: h.seq,
      prev: h.prev,
      first: h.first,
      count: h.count,
      ids,
      deps,
      depEnds,
      realmEvents: events.filter(
        (e) => e.known && (e.kind === 'genesis' || e.kind === 'membership'),
      ),
    };
  } catch (err) {
    return failure(err, true);
  }
}

function failure(err: unknown, inEvents: boolean): BlockCheck {
  if (err instanceof LedgerError)
    return { ok: false, code: err.code, message: err.message, inEvents };
  return { ok: false, code: 'SCHEMA_VIOLATION', message: (err as Error).message, inEvents };
}

/** The buffers of `checks` that can move to another thread instead of being copied. */
export function transferablesOf(checks: readonly BlockCheck[]): ArrayBuffer[] {
  return checks.flatMap((c) =>
    c.ok ? [c.ids.buffer, c.deps.buffer, c.depEnds.buffer].filter(isOwnBuffer) : [],
  );
}

const isOwnBuffer = (b: ArrayBufferLike): b is ArrayBuffer => b instanceof ArrayBuffer;
