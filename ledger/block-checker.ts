import { availableParallelism } from 'node:os';
import type { BlockCheck } from './block-check.js';
import { checkBlock } from './block-check.js';
import { movableCopy, threadPool, workerModule } from './thread-pool.js';

/** Checks batches of encoded blocks, in order, on this thread or on worker threads. */
export interface BlockChecker {
  check(blocks: readonly Uint8Array[]): Promise<BlockCheck[]>;
  close(): Promise<void>;
}

/** Checks on the calling thread. */
export function inlineChecker(): BlockChecker {
  return {
    check: (blocks) => Promise.resolve(blocks.map(checkBlock)),
    close: () => Promise.resolve(),
  };
}

/**
 * Checks over worker threads (default one per core): each batch goes to the
 * least busy worker; results come back in submission order, so the ordered
 * checks that follow see blocks in log order.
 */
export function workerChecker(workers = availableParallelism()): BlockChecker {
  const pool = threadPool<Uint8Array[], BlockCheck[]>(
    workerModule(import.meta.url, 'verify-worker'),
    workers,
    'verification',
  );
  return {
    check(blocks) {
      // Each block is copied once into a buffer of its own and moved, not
      // serialised and copied again (the caller's buffers stay its own).
      const own = blocks.map(movableCopy);
      return pool.run(
        own,
        own.map((b) => b.buffer as ArrayBuffer),
      );
    },
    close: () => pool.close(),
  };
}
