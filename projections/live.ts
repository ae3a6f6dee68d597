import type { RealmId } from '../crypto/index.js';
import type { EventStore } from '../ledger/index.js';
import { ProjectionError } from './errors.js';
import { foldStoredBlocks } from './fold-stored.js';
import { projectionHash } from './projection-hash.js';
import { initialState } from './state.js';
import type { ProjectionState } from './state.js';
import { decodeState, encodeState } from './state-codec.js';
import type { Watermark } from './state-codec.js';
import { finalize } from './view.js';
import type { ProjectionView } from './view.js';

/** Meta key of the projection cache in a store. */
export const PROJECTION_CACHE_KEY = 'projections/state/v1';

/** Options of {@link LiveProjection.open}. */
export interface OpenProjectionOptions {
  /** Read the cache from the store's meta (default true). */
  readonly cache?: boolean;
  readonly signal?: AbortSignal;
  /** Worker threads for the rebuild or catch-up (see {@link foldStoredBlocks}). */
  readonly workers?: number;
}

/** How {@link LiveProjection.open} got its state. */
export type ProjectionSource = 'cache' | 'rebuilt';

/**
 * The projections of one store, kept up to date incrementally: `open` loads
 * the cache (or rebuilds from the log), `catchUp` folds the blocks appended
 * since, `save` writes the cache. The cache is only a shortcut: deleting it
 * and rebuilding gives the same view.
 */
export class LiveProjection {
  readonly state: ProjectionState;
  #watermark: Watermark;
  #view: ProjectionView | undefined;
  #hash: string | undefined;
  /** Where the state came from when opened. */
  readonly source: ProjectionSource;
  #foldedOnOpen = 0;
  /** Realms folded (all when undefined). */
  readonly #realms: ReadonlySet<RealmId> | undefined;

  private constructor(
    state: ProjectionState,
    watermark: Watermark,
    source: ProjectionSource,
    realms?: ReadonlySet<RealmId>,
  ) {
    this.state = state;
    this.#watermark = watermark;
    this.source = source;
    this.#realms = realms;
  }

  /**
   * An empty projection of a store, nothing folded yet; of `realms` only when
   * given (a node's data folder also holds its own local realm, which the
   * other nodes of a shared realm do not).
   */
  static empty(realms?: ReadonlySet<RealmId>): LiveProjection {
    return new LiveProjection(
      initialState({ distinct: true }),
      { position: 0, block: null },
      'rebuilt',
      realms,
    );
  }

  /** Opens the projections of `store`: from the cache when it is valid, then catches up. */
  static async open(
    store: EventStore,
    options: OpenProjectionOptions = {},
  ): Promise<LiveProjection> {
    let live: LiveProjection | undefined;
    if (options.cache ?? true) {
      const bytes = await store.getMeta(PROJECTION_CACHE_KEY);
      if (bytes !== undefined) {
        try {
          const { state, watermark } = decodeState(bytes);
          if (await belongsTo(store, watermark))
            live = new LiveProjection(state, watermark, 'cache');
        } catch (err) {
          if (!(err instanceof ProjectionError)) throw err;
        }
      }
    }
    live ??= LiveProjection.empty();
    live.#foldedOnOpen = await live.catchUp(store, options.signal, options.workers);
    return live;
  }

  /** Events folded by {@link LiveProjection.open} after the cache (all of them on a rebuild). */
  get foldedOnOpen(): number {
    return this.#foldedOnOpen;
  }

  /**
   * Folds every block appended to `store` since the last call (see
   * {@link foldStoredBlocks}; `workers` as there). Returns the events folded.
   */
  async catchUp(store: EventStore, signal?: AbortSignal, workers?: number): Promise<number> {
    const folded = await foldStoredBlocks(
      this.state,
      store,
      this.#watermark,
      (watermark, events) => {
        this.#watermark = watermark;
        if (events > 0) {
          this.#view = undefined;
          this.#hash = undefined;
        }
      },
      { realms: this.#realms, signal, workers },
    );
    return folded;
  }

  /** The finalised projections (recomputed only after new events). */
  view(): ProjectionView {
    this.#view ??= finalize(this.state);
    return this.#view;
  }

  /** {@link projectionHash} of the current view (recomputed only after new events). */
  hash(): string {
    this.#hash ??= projectionHash(this.view());
    return this.#hash;
  }

  /** Store blocks folded so far: the position of the next block to fold. */
  get position(): number {
    return this.#watermark.position;
  }

  /**
   * Writes the cache into the store's meta. Returns false (and drops any
   * older cache) when the state is too large to encode in one value; returns
   * false, writing nothing, for a projection of some realms only.
   */
  async save(store: EventStore): Promise<boolean> {
    // The cache is of the whole store: a realm-scoped projection is not saved.
    if (this.#realms !== undefined) return false;
    let bytes: Uint8Array;
    try {
      bytes = encodeState(this.state, this.#watermark);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      await store.deleteMeta(PROJECTION_CACHE_KEY);
      return false;
    }
    await store.putMeta(PROJECTION_CACHE_KEY, bytes);
    return true;
  }
}

/** True when the block before the watermark is the one the cache recorded. */
async function belongsTo(store: EventStore, watermark: Watermark): Promise<boolean> {
  if (watermark.position === 0) return watermark.block === null;
  for await (const block of store.blocks({ fromPosition: watermark.position - 1 })) {
    return block.id === watermark.block;
  }
  return false;
}
