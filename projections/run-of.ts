import type { EventId } from '../crypto/index.js';
import type { ProjectionState } from './state.js';

/**
 * Resolves the run of seed and mutation events. A mutation does not repeat
 * its run: it is the run of its first dep (the parent's origin), so the run
 * is found by walking those links back to a seed or run event. The walk is
 * iterative (lineages are thousands deep) and memoised in `memo`, which the
 * caller keeps for a whole finalisation. Null when the chain leaves the set.
 */
export function runOfEvent(
  state: ProjectionState,
  event: EventId,
  memo: Map<EventId, EventId | null>,
): EventId | null {
  const path: EventId[] = [];
  let at: EventId | null = event;
  let run: EventId | null = null;
  while (at !== null) {
    const known = memo.get(at);
    if (known !== undefined) {
      run = known;
      break;
    }
    const seeded = state.seedRun.get(at);
    if (seeded !== undefined) {
      run = seeded;
      break;
    }
    if (state.runs.has(at)) {
      run = at;
      break;
    }
    const via = state.mutationVia.get(at);
    if (via === undefined) break;
    path.push(at);
    // A cycle cannot be built from content-addressed ids; the guard costs nothing.
    if (path.length > state.mutationVia.size) break;
    at = via;
  }
  for (const p of path) memo.set(p, run);
  return run;
}
