import type { RealmId } from '../crypto/index.js';
import type { EventStore } from '../ledger/index.js';
import { LiveProjection } from '../projections/index.js';
import type { StatusProjection } from '../replication/index.js';
import type { Context } from './context.js';

/**
 * `live`, following `store`'s end, as a status's projection: each
 * `catchUp` folds only the blocks appended since the last one; `hash`
 * finalises the view (recomputed only after new events).
 */
export function statusProjectionOf(live: LiveProjection, store: EventStore): StatusProjection {
  return {
    catchUp: () => live.catchUp(store),
    get blocks() {
      return live.position;
    },
    hash: () => live.hash(),
  };
}

/** The projections of a running node's realms (those only), for its status. */
export function liveStatusProjection(ctx: Context, realms: readonly RealmId[]): StatusProjection {
  return statusProjectionOf(LiveProjection.empty(new Set(realms)), ctx.ledger.store);
}
