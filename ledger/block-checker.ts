import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BlockCheck } from './block-check.js';
import { checkBlock } from './block-check.js';

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

function workerEntry(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  // Under vitest the sources run as TypeScript: start the worker through tsx too.
  if (here.endsWith('.ts'))
    return { url: new URL('./verify-worker.ts', here), execArgv: ['--import', 'tsx'] };
  return { url: new URL('./verify-worker.js', here), execArgv: [] };
}

/**
 * Checks over worker threads (default one per core): each batch goes to the
 * least busy worker; results come back in submission order, so the ordered
 * checks that follow see blocks in log order.
 */
export function workerChecker(workers = availableParallelism()): BlockChecker {
  const { url, execArgv } = workerEntry();
  const pool = Array.from({ length: Math.max(1, workers) }, () => {
    const worker = new Worker(url, { execArgv });
    // An idle pool never keeps the process alive; a busy one does (see check).
    worker.unref();
    return { worker, busy: 0 };
  });
  const waiting = new Map<
    number,
    { resolve: (c: BlockCheck[]) => void; reject: (e: unknown) => void }
  >();
  let next = 0;
  for (const slot of pool) {
    slot.worker.on('message', (msg: { id: number; checks: BlockCheck[] }) => {
      if (--slot.busy === 0) slot.worker.unref();
      waiting.get(msg.id)?.resolve(msg.checks);
      waiting.delete(msg.id);
    });
    slot.worker.on('error', (err) => {
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
    });
  }
  return {
    check(blocks) {
      const id = next++;
      const slot = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
      if (slot.busy++ === 0) slot.worker.ref();
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        // Each block is copied once into a buffer of its own and moved, not
        // serialised and copied again (the caller's buffers stay its own;
        // `new Uint8Array` copies even a Buffer view, whose slice would not).
        const own = blocks.map((b) => new Uint8Array(b));
        slot.worker.postMessage(
          { id, blocks: own },
          own.map((b) => b.buffer),
        );
      });
    },
    async close() {
      await Promise.all(pool.map((s) => s.worker.terminate()));
    },
  };
}
