import { idAt } from '../crypto/index.js';
import type { EventId, GenotypeId, PublicKey } from '../crypto/index.js';
import type { Fitness } from './fitness.js';
import { IdTable } from './id-table.js';

/** `originKind` values. */
export const Kind = { none: 0, seed: 1, mutation: 2 } as const;

/** `via` of an event handle that is not a mutation (-1 is a mutation without deps). */
export const NOT_MUTATION = -2;

function grownInt32(a: Int32Array, n: number, fill: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(n).fill(fill);
  next.set(a);
  return next;
}

function grownFloat64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(n);
  next.set(a);
  return next;
}

function grownUint8(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
  const next = new Uint8Array(n);
  next.set(a);
  return next;
}

const START = 1024;

/**
 * The projection's large tables (origins, best evaluation per genotype,
 * mutation links, seed runs) as typed columns indexed by id handles
 * ({@link IdTable}): one table of genotype ids, one of event ids, and a
 * short list of authors. Folding an event writes numbers into columns; no
 * hex string and no object is made per entry, and the garbage collector has
 * nothing to promote. Hex strings and fact objects are made only when read,
 * through the Map-like views of `column-views.ts`.
 *
 * A genotype handle may have no origin and no best (it is only named as a
 * parent or mate), and an event handle may be neither a mutation nor a seed
 * (a run, an origin's event before its mutation is folded); the views skip
 * them.
 */
export class StateColumns {
  readonly genotypes = new IdTable();
  readonly events = new IdTable();
  /** Authors by index, and their indexes. */
  readonly authors: PublicKey[] = [];
  readonly #authorIndex = new Map<PublicKey, number>();

  // Per genotype handle: its origin (originKind 0 when none is held).
  originKind = new Uint8Array(START);
  originEvent = new Int32Array(START).fill(-1);
  originAuthor = new Int32Array(START).fill(-1);
  originRun = new Int32Array(START).fill(-1);
  originVia = new Int32Array(START).fill(-1);
  originGeneration = new Float64Array(START);
  originParent = new Int32Array(START).fill(-1);
  originMate = new Int32Array(START).fill(-1);
  originOps = new Float64Array(START);
  /** Genotypes with an origin held. */
  origins = 0;

  // Per genotype handle: its best evaluation (bestAuthor -1 when none is held).
  bestEvaluation = new Uint8Array(32 * START);
  bestAuthor = new Int32Array(START).fill(-1);
  bestRun = new Int32Array(START).fill(-1);
  bestFitness = new Float64Array(START);
  bestSolved = new Uint8Array(START);
  /** Vector fitness of the genotypes whose best has one (rare: a slow path). */
  readonly bestVector = new Map<number, readonly number[]>();
  /** Genotypes with a best evaluation held. */
  bests = 0;

  // Per event handle: its first dep when a mutation (NOT_MUTATION otherwise), its run when a seed.
  via = new Int32Array(START).fill(NOT_MUTATION);
  seedRun = new Int32Array(START).fill(-1);
  mutations = 0;
  seeds = 0;

  #genotypeCapacity = START;
  #eventCapacity = START;

  /** The handle of the genotype id at `offset` in `bytes`, interned if new. */
  genotype(bytes: Uint8Array, offset: number): number {
    const h = this.genotypes.intern(bytes, offset);
    if (h >= this.#genotypeCapacity) this.#growGenotypes();
    return h;
  }

  /** The handle of the event id at `offset` in `bytes`, interned if new. */
  event(bytes: Uint8Array, offset: number): number {
    const h = this.events.intern(bytes, offset);
    if (h >= this.#eventCapacity) this.#growEvents();
    return h;
  }

  /** The handle of a hex genotype id, interned if new. */
  genotypeHex(id: GenotypeId): number {
    const h = this.genotypes.internHex(id);
    if (h >= this.#genotypeCapacity) this.#growGenotypes();
    return h;
  }

  /** The handle of a hex event id, interned if new. */
  eventHex(id: EventId): number {
    const h = this.events.internHex(id);
    if (h >= this.#eventCapacity) this.#growEvents();
    return h;
  }

  /** The index of an author, added if new. */
  author(key: PublicKey): number {
    let i = this.#authorIndex.get(key);
    if (i === undefined) {
      i = this.authors.length;
      this.authors.push(key);
      this.#authorIndex.set(key, i);
    }
    return i;
  }

  /** The fitness of the best evaluation held for genotype `g` (which must have one). */
  fitnessOf(g: number): Fitness {
    return this.bestVector.size === 0 ? this.bestFitness[g]! : (this.bestVector.get(g) ?? this.bestFitness[g]!);
  }

  /**
   * The primary component of the best fitness held for a genotype (what
   * summaries average); undefined when none is held.
   */
  primaryBestOf(id: GenotypeId): number | undefined {
    const g = this.genotypes.findHex(id);
    if (g < 0 || this.bestAuthor[g] === -1) return undefined;
    const f = this.fitnessOf(g);
    return typeof f === 'number' ? f : (f[0] ?? 0);
  }

  /** The best evaluation's id of genotype `g` (which must have one). */
  bestEvaluationId(g: number): EventId {
    return idAt<EventId>(this.bestEvaluation, 32 * g);
  }

  #growGenotypes(): void {
    const n = 2 * this.#genotypeCapacity;
    this.originKind = grownUint8(this.originKind, n);
    this.originEvent = grownInt32(this.originEvent, n, -1);
    this.originAuthor = grownInt32(this.originAuthor, n, -1);
    this.originRun = grownInt32(this.originRun, n, -1);
    this.originVia = grownInt32(this.originVia, n, -1);
    this.originGeneration = grownFloat64(this.originGeneration, n);
    this.originParent = grownInt32(this.originParent, n, -1);
    this.originMate = grownInt32(this.originMate, n, -1);
    this.originOps = grownFloat64(this.originOps, n);
    this.bestEvaluation = grownUint8(this.bestEvaluation, 32 * n);
    this.bestAuthor = grownInt32(this.bestAuthor, n, -1);
    this.bestRun = grownInt32(this.bestRun, n, -1);
    this.bestFitness = grownFloat64(this.bestFitness, n);
    this.bestSolved = grownUint8(this.bestSolved, n);
    this.#genotypeCapacity = n;
  }

  #growEvents(): void {
    const n = 2 * this.#eventCapacity;
    this.via = grownInt32(this.via, n, NOT_MUTATION);
    this.seedRun = grownInt32(this.seedRun, n, -1);
    this.#eventCapacity = n;
  }
}
