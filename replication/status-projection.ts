/**
 * What a node's status takes its projection hash from: a projection of the
 * replicated realms kept up to date incrementally. Folding what arrived costs
 * O(new events); hashing may cost O(state) (finalising the whole view).
 */
export interface StatusProjection {
  /** Folds the blocks appended to the store since the last call; resolves to the events folded. */
  catchUp(): Promise<number>;
  /** Store blocks folded so far (a store position: blocks of every realm count). */
  readonly blocks: number;
  /** The hash of what is folded so far. */
  hash(): string;
}

/** A projection hash and the store blocks it covers. */
export interface ProjectionStamp {
  readonly hash: string;
  /** The hash is of the replicated realms' events among the store's first `blocks` blocks. */
  readonly blocks: number;
}

/** While events keep arriving, the hash is recomputed once every this many reports. */
export const MOVING_HASH_EVERY = 40;

/**
 * The projection hash a node reports, recomputed only when it can be of
 * use: when no event arrived since the previous report (the log stood still
 * for one status interval), on the first report, and otherwise once every
 * `every` reports. Each report still folds what arrived (cheap, and the
 * store keeps its recent blocks in memory for it); only the O(state)
 * finalise-and-hash is skipped while blocks stream in, where the hash would
 * be out of date by the next report anyway. Every stamp says which blocks
 * it covers, so a status stays truthful. Reports are serialised.
 */
export class SettledProjectionHash {
  readonly #source: StatusProjection;
  readonly #every: number;
  #stamp: ProjectionStamp | undefined;
  #reports = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(source: StatusProjection, every = MOVING_HASH_EVERY) {
    this.#source = source;
    this.#every = every;
  }

  /** Folds what arrived since the last report and returns the stamp to report. */
  next(): Promise<ProjectionStamp> {
    const next = this.#queue.then(async () => {
      const folded = await this.#source.catchUp();
      this.#reports++;
      if (this.#stamp === undefined || folded === 0 || this.#reports >= this.#every) {
        this.#stamp = { hash: this.#source.hash(), blocks: this.#source.blocks };
        this.#reports = 0;
      }
      return this.#stamp;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
