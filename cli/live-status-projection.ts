import type { RealmId } from '../crypto/index.js';
import { LiveProjection } from '../projections/index.js';
import type { StatusProjection } from '../replication/index.js';
import type { Context } from './context.js';

/**
 * The projections of a running node's realms, for its status: each
 * `catchUp` folds only the blocks appended since the last one, of `realms`
 * only; `hash` finalises the view (recomputed only after new events).
 */
export function liveStatusProjection(ctx: Context, realms: readonly RealmId[]): StatusProjection {
  const live = LiveProjection.empty(new Set(realms));
  return {
    catchUp: () => live.catchUp(ctx.ledger.store),
    get blocks() {
      return live.position;
    },
    hash: () => live.hash(),
  };
}
