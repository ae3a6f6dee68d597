import { idAt } from '../crypto/index.js';
import type { EventId, GenotypeId, PublicKey } from '../crypto/index.js';
import type { Fitness } from './fitness.js';
import { IdTable } from '../crypto/index.js';

/** `originKind` values. */
export const Kind = { none: 0, seed: 1, mutation: 2 } as const;

function grownInt32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(n);
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

  // Columns hold 0 for "none", so that fresh (zeroed) memory needs no
  // filling: a page is touched only when an entry on it is written (on a
  // machine where first touching memory is slow, this is measurable).
  // Handles are stored plus one where they may be none.

  // Per genotype handle: its origin (originKind 0 when none is held); its
  // run and via are its event's (`seedRun`, `via`).
  originKind = new Uint8Array(START);
  originEvent = new Int32Array(START);
  originAuthor = new Int32Array(START);
  originGeneration = new Float64Array(START);
  /** Parent and mate genotype handles plus one (0: none). */
  originParent = new Int32Array(START);
  originMate = new Int32Array(START);
  originOps = new Int32Array(START);
  /** Genotypes with an origin held. */
  origins = 0;

  // Per genotype handle: its best evaluation (bestAuthor 0 when none is held).
  bestEvaluation = new Uint8Array(32 * START);
  /** Author index plus one (0: no best held). */
  bestAuthor = new Int32Array(START);
  bestRun = new Int32Array(START);
  bestFitness = new Float64Array(START);
  bestSolved = new Uint8Array(START);
  /** Vector fitness of the genotypes whose best has one (rare: a slow path). */
  readonly bestVector = new Map<number, readonly number[]>();
  /** Genotypes with a best evaluation held. */
  bests = 0;

  // Per event handle.
  /** 0: not a mutation; 1: a mutation without deps; else its first dep's handle plus two. */
  via = new Int32Array(START);
  /** A seed's run handle plus one (0: not a seed). */
  seedRun = new Int32Array(START);
  mutations = 0;
  seeds = 0;

  #genotypeCapacity = START;
  #eventCapacity = START;

  /** True when an origin of genotype `g` is held. */
  hasOrigin(g: number): boolean {
    return this.originKind[g] !== Kind.none;
  }

  /** The parent handle of genotype `g`'s origin; -1 for none. */
  parentOf(g: number): number {
    return this.originParent[g]! - 1;
  }

  /** The mate handle of genotype `g`'s origin; -1 for none. */
  mateOf(g: number): number {
    return this.originMate[g]! - 1;
  }

  /** The run of genotype `g`'s origin when a seed; -1 for a mutation. */
  originRunOf(g: number): number {
    return this.seedRunOf(this.originEvent[g]!);
  }

  /** The first dep of genotype `g`'s origin when a mutation; -1 for a seed or none. */
  originViaOf(g: number): number {
    return this.originKind[g] === Kind.mutation ? this.viaOf(this.originEvent[g]!) : -1;
  }

  /**
   * Holds an origin of genotype `g` if it is preferred over the one held
   * (the rule of `betterOrigin` in origin.ts, on handles). Every argument is
   * a handle (-1 for none) but `kind`, `generation` and `ops`.
   */
  keepOrigin(
    g: number,
    kind: number,
    event: number,
    author: number,
    generation: number,
    parent: number,
    mate: number,
    ops: number,
  ): void {
    const held = this.originKind[g]!;
    if (held !== Kind.none) {
      const self = parent === g;
      const heldSelf = this.parentOf(g) === g;
      let better: boolean;
      if (self !== heldSelf) better = heldSelf;
      else if (generation !== this.originGeneration[g])
        better = generation < this.originGeneration[g]!;
      else if (kind !== held) better = kind === Kind.seed;
      else better = this.events.compareHandles(event, this.originEvent[g]!) < 0;
      if (!better) return;
    } else {
      this.origins += 1;
    }
    this.originKind[g] = kind;
    this.originEvent[g] = event;
    this.originAuthor[g] = author;
    this.originGeneration[g] = generation;
    this.originParent[g] = parent + 1;
    this.originMate[g] = mate + 1;
    this.originOps[g] = ops;
  }

  /** True when a best evaluation of genotype `g` is held. */
  hasBest(g: number): boolean {
    return this.bestAuthor[g] !== 0;
  }

  /** The author index of genotype `g`'s best evaluation. */
  bestAuthorOf(g: number): number {
    return this.bestAuthor[g]! - 1;
  }

  /** Holds a measurement as the best of genotype `g`; its id lies at `at` in `evaluation`. */
  setBest(
    g: number,
    fitness: Fitness,
    evaluation: Uint8Array,
    at: number,
    author: number,
    run: number,
    solved: boolean,
  ): void {
    if (this.bestAuthor[g] === 0) this.bests += 1;
    const own = this.bestEvaluation;
    for (let i = 0, o = 32 * g; i < 32; i++) own[o + i] = evaluation[at + i]!;
    this.bestAuthor[g] = author + 1;
    this.bestRun[g] = run;
    this.bestSolved[g] = solved ? 1 : 0;
    if (typeof fitness === 'number') {
      this.bestFitness[g] = fitness;
      if (this.bestVector.size > 0) this.bestVector.delete(g);
    } else {
      this.bestFitness[g] = NaN;
      this.bestVector.set(g, fitness);
    }
  }

  /** True when event `e` is a mutation folded. */
  isMutation(e: number): boolean {
    return this.via[e] !== 0;
  }

  /** The first dep of mutation `e`; -1 for none (or not a mutation). */
  viaOf(e: number): number {
    return this.via[e]! - 2;
  }

  /** Records mutation `e` and its first dep (-1 for none). */
  setVia(e: number, via: number): void {
    if (this.via[e] === 0) this.mutations += 1;
    this.via[e] = via + 2;
  }

  /** The run of seed `e`; -1 when `e` is not a seed. */
  seedRunOf(e: number): number {
    return this.seedRun[e]! - 1;
  }

  /** Records seed `e` and its run. */
  setSeedRun(e: number, run: number): void {
    if (this.seedRun[e] === 0) this.seeds += 1;
    this.seedRun[e] = run + 1;
  }

  /**
   * Makes room for about `genotypes` genotypes and `events` events, so that
   * a large fold does not grow its columns again and again. Growth is at
   * least twofold: a live projection reserves a little more at every
   * catch-up (a node's status, every 500 ms), and growing to the exact
   * size copied every column each time.
   */
  reserve(genotypes: number, events: number): void {
    this.genotypes.reserve(genotypes);
    this.events.reserve(events);
    if (genotypes > this.#genotypeCapacity) {
      this.#growGenotypes(Math.max(Math.ceil(genotypes), 2 * this.#genotypeCapacity));
    }
    if (events > this.#eventCapacity) {
      this.#growEvents(Math.max(Math.ceil(events), 2 * this.#eventCapacity));
    }
  }

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
    return this.bestVector.size === 0
      ? this.bestFitness[g]!
      : (this.bestVector.get(g) ?? this.bestFitness[g]!);
  }

  /**
   * The primary component of the best fitness held for a genotype (what
   * summaries average); undefined when none is held.
   */
  primaryBestOf(id: GenotypeId): number | undefined {
    const g = this.genotypes.findHex(id);
    if (g < 0 || !this.hasBest(g)) return undefined;
    const f = this.fitnessOf(g);
    return typeof f === 'number' ? f : (f[0] ?? 0);
  }

  /** The best evaluation's id of genotype `g` (which must have one). */
  bestEvaluationId(g: number): EventId {
    return idAt<EventId>(this.bestEvaluation, 32 * g);
  }

  #growGenotypes(n = 2 * this.#genotypeCapacity): void {
    this.originKind = grownUint8(this.originKind, n);
    this.originEvent = grownInt32(this.originEvent, n);
    this.originAuthor = grownInt32(this.originAuthor, n);
    this.originGeneration = grownFloat64(this.originGeneration, n);
    this.originParent = grownInt32(this.originParent, n);
    this.originMate = grownInt32(this.originMate, n);
    this.originOps = grownInt32(this.originOps, n);
    this.bestEvaluation = grownUint8(this.bestEvaluation, 32 * n);
    this.bestAuthor = grownInt32(this.bestAuthor, n);
    this.bestRun = grownInt32(this.bestRun, n);
    this.bestFitness = grownFloat64(this.bestFitness, n);
    this.bestSolved = grownUint8(this.bestSolved, n);
    this.#genotypeCapacity = n;
  }

  #growEvents(n = 2 * this.#eventCapacity): void {
    this.via = grownInt32(this.via, n);
    this.seedRun = grownInt32(this.seedRun, n);
    this.#eventCapacity = n;
  }
}
