import { availableParallelism } from 'node:os';
import { IdCache } from '../crypto/index.js';
import type { RealmId } from '../crypto/index.js';
import { storedBlockBytes } from '../ledger/index.js';
import type { EventStore, StoredBlockBytes } from '../ledger/index.js';
import { inlineBatchMaker, workerBatchMaker } from './batch-maker.js';
import { ProjectionError } from './errors.js';
import { foldBatch, MAX_BLOCKS } from './fold-batch.js';
import type { FoldBatch } from './fold-batch.js';
import { readAhead } from './read-ahead.js';
import type { ProjectionState } from './state.js';
import type { Watermark } from './state-codec.js';

/** Options of {@link foldStoredBlocks}. */
export interface FoldStoredOptions {
  /** Fold only blocks of these realms (all when undefined); the watermark passes the others. */
  readonly realms?: ReadonlySet<RealmId> | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Worker threads that decode blocks while this thread folds (0: decode
   * here too). Default: {@link defaultWorkers} for catch-ups of at least
   * {@link WORKERS_FROM} events; none for smaller ones.
   */
  readonly workers?: number | undefined;
  /** Events per batch (default 8192): large enough to spread a batch's costs, small enough to keep memory flat. */
  readonly batchEvents?: number | undefined;
}

/** Below this many events to fold, starting workers costs more than it saves. */
export const WORKERS_FROM = 50_000;

const BATCH_EVENTS = 8192;
/** LevelDB reads requested ahead of the block being folded. */
const READ_AHEAD = 2;

/**
 * Decoding workers for a large catch-up: the cores but two (one folds, one
 * serves LevelDB's reads and the garbage collector), at most 2. Measured on
 * 2 cores, a decoding worker did not beat decoding on the folding thread:
 * it only competes for the second core.
 */
export function defaultWorkers(): number {
  return Math.max(0, Math.min(2, availableParallelism() - 2));
}

/**
 * The stored blocks from log position `from` on: from the store's memory
 * when it still keeps them all there (a catch-up that follows the log's
 * end: the blocks were appended a moment ago), else read from the store,
 * {@link READ_AHEAD} reads ahead.
 */
function blocksFrom(
  store: EventStore,
  from: number,
): Iterable<StoredBlockBytes> | AsyncIterable<StoredBlockBytes> {
  return (
    store.recentBlockBytes?.(from) ??
    readAhead(storedBlockBytes(store, { fromPosition: from }), READ_AHEAD)
  );
}

/** About how many events the blocks from log position `from` on hold. */
async function eventsFrom(store: EventStore, from: number): Promise<number> {
  const { blocks, events } = await store.counts();
  return blocks === 0 ? 0 : (events * Math.max(0, blocks - from)) / blocks;
}

/** Id cache slots for about `events` events: a small catch-up gets a small cache. */
function cacheSlots(events: number): number {
  return 2 ** Math.min(16, Math.max(8, Math.ceil(Math.log2(Math.max(1, events)))));
}

/**
 * Folds the blocks `store` holds from the watermark on into `state`, in log
 * order, and calls `advance` with the new watermark and the events folded
 * after each batch (so that an abort or a failure leaves a watermark that
 * matches the state).
 * Blocks are taken from the store's memory when it still keeps them (see
 * `EventStore.recentBlockBytes`), else read ahead; decoded in batches (on
 * worker threads for large catch-ups) and folded on this thread, batch
 * after batch in log order:
 * the state is the one folding every event with `evolve` gives. Returns the
 * events folded. Throws `ABORTED`, or `SCHEMA_VIOLATION` for a damaged store.
 */
export async function foldStoredBlocks(
  state: ProjectionState,
  store: EventStore,
  from: Watermark,
  advance: (watermark: Watermark, events: number) => void,
  options: FoldStoredOptions = {},
): Promise<number> {
  const { realms, signal } = options;
  const batchEvents = options.batchEvents ?? BATCH_EVENTS;
  const expected = await eventsFrom(store, from.position);
  const workers = options.workers ?? (expected < WORKERS_FROM ? 0 : defaultWorkers());
  const maker = workers > 0 ? workerBatchMaker(workers) : inlineBatchMaker();
  // Two batches a worker in flight keep each busy while this thread folds.
  const depth = 2 * workers;
  const inFlight: {
    batch: Promise<FoldBatch> | undefined;
    watermark: Watermark;
    events: number;
  }[] = [];
  let blocks: StoredBlockBytes[] = [];
  let events = 0;
  let watermark = from;
  let folded = 0;

  const submit = () => {
    const batch = blocks.length === 0 ? undefined : maker.make(blocks);
    // Settled when its turn comes; a failure before then must not count as unhandled.
    batch?.catch(() => undefined);
    inFlight.push({ batch, watermark, events });
    blocks = [];
    events = 0;
  };
  const ids = new IdCache(cacheSlots(expected));
  // Room for half as many genotypes and events as the events to fold (a
  // mutation brings one of each): spares growing the columns again and
  // again, and columns are zeroed memory that costs little until written.
  const c = state.columns;
  c.reserve(c.genotypes.size + expected / 2, c.events.size + expected / 2);
  const foldNext = async () => {
    const next = inFlight.shift()!;
    if (next.batch !== undefined) foldBatch(state, await next.batch, ids);
    folded += next.events;
    advance(next.watermark, next.events);
  };

  try {
    for await (const block of blocksFrom(store, from.position)) {
      if (signal?.aborted) throw new ProjectionError('ABORTED', 'projection build aborted');
      if (realms === undefined || realms.has(block.realm)) {
        blocks.push(block);
        events += block.count;
      }
      watermark = { position: watermark.position + 1, block: block.id };
      if (events >= batchEvents || blocks.length === MAX_BLOCKS) {
        submit();
        while (inFlight.length > depth) await foldNext();
      }
    }
    if (watermark !== from) submit();
    while (inFlight.length > 0) await foldNext();
  } finally {
    await maker.close();
  }
  return folded;
}
