import type { RealmId } from '../crypto/index.js';
import { blockEvents } from '../ledger/index.js';
import { evolve, finalize, initialState, projectionHash } from '../projections/index.js';
import type { ProjectionState } from '../projections/index.js';
import type { Context } from './context.js';

interface Scoped {
  readonly state: ProjectionState;
  /** Log position of the next block to read. */
  position: number;
  hash: string | undefined;
}

const scoped = new WeakMap<Context, Map<string, Scoped>>();
const queue = new WeakMap<Context, Promise<unknown>>();

/**
 * The projection hash of a running node's realms, kept incrementally: each
 * call folds only the blocks appended since the last one, and only blocks of
 * `realms` (a node's data folder also holds its own local realm, which other
 * nodes do not share). Calls are serialised.
 */
export function liveProjectionHash(ctx: Context, realms: readonly RealmId[]): Promise<string> {
  const key = [...realms].sort().join(',');
  let byRealms = scoped.get(ctx);
  if (byRealms === undefined) scoped.set(ctx, (byRealms = new Map<string, Scoped>()));
  let s = byRealms.get(key);
  if (s === undefined) {
    s = { state: initialState({ distinct: true }), position: 0, hash: undefined };
    byRealms.set(key, s);
  }
  const view = s;
  const wanted = new Set<string>(realms);
  const next = (queue.get(ctx) ?? Promise.resolve()).then(async () => {
    let folded = false;
    for await (const block of ctx.ledger.store.blocks({ fromPosition: view.position })) {
      view.position++;
      if (!wanted.has(block.header.realm)) continue;
      for (const e of blockEvents(block, { trusted: true })) evolve(view.state, e);
      folded = true;
    }
    if (folded || view.hash === undefined) view.hash = projectionHash(finalize(view.state));
    return view.hash;
  });
  queue.set(
    ctx,
    next.catch(() => undefined),
  );
  return next;
}
