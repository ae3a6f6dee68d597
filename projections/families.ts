import type { GenotypeId } from '../crypto/index.js';
import type { ProjectionState } from './state.js';

/**
 * The family of a genotype: the seed genotype its parent links lead back to
 * (a genotype whose origin is not held is its own family). Families are the
 * species the projections can always show, whatever the engine's speciation.
 * Iterative and memoised in `memo` (lineages are thousands deep).
 */
export function familyOf(
  state: ProjectionState,
  genotype: GenotypeId,
  memo: Map<GenotypeId, GenotypeId>,
): GenotypeId {
  const path: GenotypeId[] = [];
  const onPath = new Set<GenotypeId>();
  let at = genotype;
  let root: GenotypeId | undefined;
  for (;;) {
    const known = memo.get(at);
    if (known !== undefined) {
      root = known;
      break;
    }
    const origin = state.origins.get(at);
    path.push(at);
    onPath.add(at);
    // The origin rule prevents cycles; a set built by hand could still hold one.
    if (origin === undefined || origin.parent === null || onPath.has(origin.parent)) {
      root = at;
      break;
    }
    at = origin.parent;
  }
  for (const p of path) memo.set(p, root);
  return root;
}
