import type { EventId, GenotypeId } from '../crypto/index.js';

/** What the origin rule looks at. */
export interface OriginKey {
  readonly event: EventId;
  readonly kind: 'seed' | 'mutation';
  readonly generation: number;
  readonly parent: GenotypeId | null;
}

/**
 * True when `a` is the preferred origin of `genotype` over `b`. Content
 * addressing lets one genotype be made more than once (a mutation that
 * changes nothing, or one that undoes another), so the rule must never lead
 * a lineage round in a circle: an origin whose parent is the genotype itself
 * loses; then the earlier generation wins (a parent exists before its child,
 * so following preferred origins goes strictly back in time within a run);
 * then a seed; then the smaller event id.
 */
export function betterOrigin(a: OriginKey, b: OriginKey, genotype: GenotypeId): boolean {
  const selfA = a.parent === genotype;
  const selfB = b.parent === genotype;
  if (selfA !== selfB) return selfB;
  if (a.generation !== b.generation) return a.generation < b.generation;
  if (a.kind !== b.kind) return a.kind === 'seed';
  return a.event < b.event;
}
