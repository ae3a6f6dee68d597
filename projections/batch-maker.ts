import { Worker } from 'node:worker_threads';
import { LedgerError, LedgerErrorCodes } from '../ledger/index.js';
import type { LedgerErrorCode, StoredBlockBytes } from '../ledger/index.js';
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

function workerEntry(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  // Under vitest the sources run as TypeScript: start the worker through tsx too.
  if (here.endsWith('.ts'))
    return { url: new URL('./rebuild-worker.ts', here), execArgv: ['--import', 'tsx'] };
  return { url: new URL('./rebuild-worker.js', here), execArgv: [] };
}

interface Reply {
  readonly id: number;
  readonly batch?: FoldBatch;
  readonly error?: { name?: string; message?: string; code?: string };
}

/** The error a worker reported, as the class and code it was raised with where possible. */
function rebuilt(error: NonNullable<Reply['error']>): Error {
  const message = error.message ?? 'a rebuild worker failed';
  if (error.name === 'LedgerError' && error.code !== undefined && error.code in LedgerErrorCodes) {
    return new LedgerError(error.code as LedgerErrorCode, message);
  }
  return new Error(message);
}

/**
 * Makes batches on `workers` worker threads: each call goes to the least
 * busy one. The blocks' bytes are copied once and the copies transferred;
 * the batch comes back by transfer. A worker that fails or exits fails
 * every call waiting and every call after.
 */
export function workerBatchMaker(workers: number): BatchMaker {
  const { url, execArgv } = workerEntry();
  const waiting = new Map<
    number,
    { resolve: (b: FoldBatch) => void; reject: (e: unknown) => void }
  >();
  let failure: Error | undefined;
  let closing = false;
  const fail = (err: Error) => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  const pool = Array.from({ length: Math.max(1, workers) }, () => {
    const slot = { worker: new Worker(url, { execArgv }), busy: 0 };
    slot.worker.on('message', (msg: Reply) => {
      slot.busy--;
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.batch !== undefined) w?.resolve(msg.batch);
      else w?.reject(rebuilt(msg.error ?? {}));
    });
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (!closing) fail(new Error(`a rebuild worker stopped (exit code ${code})`));
    });
    return slot;
  });
  let next = 0;
  return {
    make(blocks) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = next++;
      const slot = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
      slot.busy++;
      const copies = blocks.map((b) => ({
        id: b.id,
        realm: b.realm,
        author: b.author,
        first: b.first,
        count: b.count,
        // Fresh copies to move: `new Uint8Array` copies even a Buffer view,
        // whose slice would share (and could not move) Node's buffer pool.
        bytes: new Uint8Array(b.bytes),
        eventIds: new Uint8Array(b.eventIds),
      }));
      const transfer = copies.flatMap((b) => [b.bytes.buffer, b.eventIds.buffer]);
      return new Promise<FoldBatch>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        slot.worker.postMessage({ id, blocks: copies }, transfer);
      });
    },
    async close() {
      closing = true;
      await Promise.all(pool.map((s) => s.worker.terminate()));
    },
  };
}
