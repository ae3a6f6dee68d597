import type { RealmId } from '../crypto/index.js';
import { LiveProjection } from '../projections/index.js';
import type { Context } from './context.js';

const projections = new WeakMap<Context, Map<string, LiveProjection>>();
const queue = new WeakMap<Context, Promise<unknown>>();

/**
 * The projection hash of a running node's realms, kept incrementally: each
 * call folds only the blocks appended since the last one, of `realms` only.
 * Calls are serialised.
 */
export function liveProjectionHash(ctx: Context, realms: readonly RealmId[]): Promise<string> {
  const key = [...realms].sort().join(',');
  let byRealms = projections.get(ctx);
  if (byRealms === undefined) projections.set(ctx, (byRealms = new Map<string, LiveProjection>()));
  let live = byRealms.get(key);
  if (live === undefined) byRealms.set(key, (live = LiveProjection.empty(new Set(realms))));
  const projection = live;
  const next = (queue.get(ctx) ?? Promise.resolve()).then(async () => {
    await projection.catchUp(ctx.ledger.store);
    return projection.hash();
  });
  queue.set(
    ctx,
    next.catch(() => undefined),
  );
  return next;
}
