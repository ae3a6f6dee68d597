import { encodeCanonical, taggedHash, toHex } from '../crypto/index.js';
import type { LedgerEvent } from '../ledger/index.js';
import { foldEvents } from './evolve.js';
import { initialState } from './state.js';
import { finalize } from './view.js';
import type { ProjectionView } from './view.js';

const PROJECTION_TAG = 'evoledger/projections/v1';

/**
 * The tagged hash (hex) of the canonical encoding of a view. Two nodes that
 * hold the same event set get the same hash, whatever order the events came
 * in: replication compares it to tell whether two nodes agree.
 */
export function projectionHash(view: ProjectionView): string {
  return toHex(taggedHash(PROJECTION_TAG, encodeCanonical(view)));
}

/**
 * Folds events (any order, duplicates allowed) and returns the projection
 * hash of the set they form.
 */
export async function projectionHashOf(
  events: AsyncIterable<LedgerEvent> | Iterable<LedgerEvent>,
): Promise<string> {
  return projectionHash(finalize(await foldEvents(initialState(), events)));
}
