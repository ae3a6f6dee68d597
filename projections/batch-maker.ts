import { movableCopy, threadPool, workerModule } from '../ledger/index.js';
import type { StoredBlockBytes } from '../ledger/index.js';
import { foldBatchOf } from './fold-batch-reader.js';
import type { FoldBatch } from './fold-batch.js';

/** Turns stored blocks into fold batches, on this thread or on worker threads. */
export interface BatchMaker {
  /** The batch of `blocks`; results may come in any order, each to its own call. */
  make(blocks: readonly StoredBlockBytes[]): Promise<FoldBatch>;
  close(): Promise<void>;
}

/** Makes batches on the calling thread. */
export function inlineBatchMaker(): BatchMaker {
  return {
    make: (blocks) => Promise.resolve(foldBatchOf(blocks)),
    close: () => Promise.resolve(),
  };
}

/**
 * Makes batches on `workers` worker threads: each call goes to the least
 * busy one. The blocks' bytes are copied once and the copies transferred;
 * the batch comes back by transfer. A worker that fails or exits fails
 * every call waiting and every call after.
 */
export function workerBatchMaker(workers: number): BatchMaker {
  const pool = threadPool<StoredBlockBytes[], FoldBatch>(
    workerModule(import.meta.url, 'rebuild-worker'),
    workers,
    'rebuild',
  );
  return {
    make(blocks) {
      const copies = blocks.map((b) => ({
        ...b,
        bytes: movableCopy(b.bytes),
        eventIds: movableCopy(b.eventIds),
      }));
      const transfer = copies.flatMap((b) => [b.bytes.buffer, b.eventIds.buffer] as ArrayBuffer[]);
      return pool.run(copies, transfer);
    },
    close: () => pool.close(),
  };
}
