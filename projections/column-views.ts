import type { EventId, GenotypeId } from '../crypto/index.js';
import type { IdTable } from '../crypto/index.js';
import type { BestFacts, OriginFacts } from './state.js';
import { Kind } from './state-columns.js';
import type { StateColumns } from './state-columns.js';

/**
 * A read-only map: what the projection's large tables show their readers
 * (the same calls as a `ReadonlyMap`, iteration in insertion order).
 */
export interface ReadonlyTable<K extends string, V> extends Iterable<[K, V]> {
  readonly size: number;
  get(key: K): V | undefined;
  has(key: K): boolean;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[K, V]>;
}

/**
 * A {@link ReadonlyTable} over columns: keys are the handles of `table`
 * that `held` accepts; a value is made (hex strings, a facts object) each
 * time it is read, and not kept.
 */
abstract class ColumnTable<K extends string, V> implements ReadonlyTable<K, V> {
  constructor(protected readonly c: StateColumns) {}

  protected abstract get table(): IdTable;
  protected abstract held(h: number): boolean;
  protected abstract at(h: number): V;
  abstract get size(): number;

  get(key: K): V | undefined {
    const h = this.table.findHex(key);
    return h >= 0 && this.held(h) ? this.at(h) : undefined;
  }

  has(key: K): boolean {
    const h = this.table.findHex(key);
    return h >= 0 && this.held(h);
  }

  *keys(): IterableIterator<K> {
    const t = this.table;
    for (let h = 0; h < t.size; h++) if (this.held(h)) yield t.hex<K & EventId>(h);
  }

  *values(): IterableIterator<V> {
    const t = this.table;
    for (let h = 0; h < t.size; h++) if (this.held(h)) yield this.at(h);
  }

  *entries(): IterableIterator<[K, V]> {
    const t = this.table;
    for (let h = 0; h < t.size; h++) {
      if (this.held(h)) yield [t.hex<K & EventId>(h), this.at(h)];
    }
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}

/** Where each genotype came from. */
export class OriginTable extends ColumnTable<GenotypeId, OriginFacts> {
  protected get table(): IdTable {
    return this.c.genotypes;
  }
  get size(): number {
    return this.c.origins;
  }
  protected held(h: number): boolean {
    return this.c.originKind[h] !== Kind.none;
  }
  protected at(h: number): OriginFacts {
    const c = this.c;
    return {
      event: c.events.hex<EventId>(c.originEvent[h]!),
      kind: c.originKind[h] === Kind.seed ? 'seed' : 'mutation',
      author: c.authors[c.originAuthor[h]!]!,
      run: c.events.hexOrNull<EventId>(c.originRunOf(h)),
      via: c.events.hexOrNull<EventId>(c.originViaOf(h)),
      generation: c.originGeneration[h]!,
      parent: c.genotypes.hexOrNull<GenotypeId>(c.parentOf(h)),
      mate: c.genotypes.hexOrNull<GenotypeId>(c.mateOf(h)),
      ops: c.originOps[h]!,
    };
  }
}

/** The best evaluation held for each genotype. */
export class BestTable extends ColumnTable<GenotypeId, BestFacts> {
  protected get table(): IdTable {
    return this.c.genotypes;
  }
  get size(): number {
    return this.c.bests;
  }
  protected held(h: number): boolean {
    return this.c.hasBest(h);
  }
  protected at(h: number): BestFacts {
    const c = this.c;
    return {
      evaluation: c.bestEvaluationId(h),
      genotype: c.genotypes.hex<GenotypeId>(h),
      author: c.authors[c.bestAuthorOf(h)]!,
      run: c.events.hex<EventId>(c.bestRun[h]!),
      fitness: c.fitnessOf(h),
      solved: c.bestSolved[h] === 1,
    };
  }
}

/** Every mutation event and its first dep (whose run is its run). */
export class MutationViaTable extends ColumnTable<EventId, EventId | null> {
  protected get table(): IdTable {
    return this.c.events;
  }
  get size(): number {
    return this.c.mutations;
  }
  protected held(h: number): boolean {
    return this.c.isMutation(h);
  }
  protected at(h: number): EventId | null {
    return this.c.events.hexOrNull<EventId>(this.c.viaOf(h));
  }
}

/** Every seed event and its run. */
export class SeedRunTable extends ColumnTable<EventId, EventId> {
  protected get table(): IdTable {
    return this.c.events;
  }
  get size(): number {
    return this.c.seeds;
  }
  protected held(h: number): boolean {
    return this.c.seedRunOf(h) !== -1;
  }
  protected at(h: number): EventId {
    return this.c.events.hex<EventId>(this.c.seedRunOf(h));
  }
}
