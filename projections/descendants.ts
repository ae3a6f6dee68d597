import type { EventId, GenotypeId, PublicKey } from '../crypto/index.js';
import { isKind } from '../ledger/index.js';
import type { EventStore } from '../ledger/index.js';
import { ProjectionError } from './errors.js';
import { genotypeEvents, mustBeNamed } from './lineage.js';

/** One descendant: the mutation that made it from an ancestor. */
export interface Descendant {
  readonly genotype: GenotypeId;
  readonly parent: GenotypeId;
  /** True when the ancestor was the mate rather than the parent. */
  readonly viaMate: boolean;
  readonly event: EventId;
  readonly author: PublicKey;
  readonly generation: number;
  readonly depth: number;
  readonly ops: number;
}

/** Options of {@link descendants}. */
export interface DescendantsOptions {
  /** Most generations down (default unlimited). */
  readonly depth?: number;
  /** Stop after this many descendants (default 100 000). */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** Every genotype made from `genotype` (as parent or mate), breadth-first, through the genotype index. */
export async function descendants(
  store: EventStore,
  genotype: GenotypeId,
  options: DescendantsOptions = {},
): Promise<{ genotype: GenotypeId; descendants: Descendant[]; truncated: boolean }> {
  const maxDepth = options.depth ?? Infinity;
  const limit = options.limit ?? 100_000;
  const out: Descendant[] = [];
  const visited = new Set<GenotypeId>([genotype]);
  let frontier = [genotype];
  let truncated = false;
  for (let depth = 1; frontier.length > 0; depth++) {
    const next: GenotypeId[] = [];
    for (const g of frontier) {
      if (options.signal?.aborted) throw new ProjectionError('ABORTED', 'descendants aborted');
      const found = await genotypeEvents(store, g);
      if (depth === 1) mustBeNamed(found, g);
      const children = [...found.children].sort((a, b) => (a.id < b.id ? -1 : 1));
      for (const m of children) {
        if (!isKind(m, 'mutation') || visited.has(m.body.child)) continue;
        if (depth > maxDepth || out.length >= limit) {
          truncated = true;
          break;
        }
        visited.add(m.body.child);
        out.push({
          genotype: m.body.child,
          parent: g,
          viaMate: m.body.parent !== g,
          event: m.id,
          author: m.author,
          generation: m.body.generation,
          depth,
          ops: m.body.ops.length,
        });
        next.push(m.body.child);
      }
    }
    frontier = next;
  }
  return { genotype, descendants: out, truncated };
}
