import { concatBytes } from '../crypto/index.js';
import { parentPort, Worker } from 'node:worker_threads';
import { LedgerError, LedgerErrorCodes } from './errors.js';
import type { LedgerErrorCode } from './errors.js';

/** Jobs run on worker threads: each goes to the least busy one. */
export interface ThreadPool<Req, Res> {
  /** Runs one job; `transfer` lists buffers of `request` to move rather than copy. */
  run(request: Req, transfer?: readonly ArrayBuffer[]): Promise<Res>;
  close(): Promise<void>;
}

/** A worker module beside `here` (an `import.meta.url`), by its name without extension. */
export interface WorkerModule {
  readonly url: URL;
  readonly execArgv: string[];
}

/** The worker module `name` beside `here`; under vitest (TypeScript sources) it starts through tsx. */
export function workerModule(here: string, name: string): WorkerModule {
  return here.endsWith('.ts')
    ? { url: new URL(`./${name}.ts`, here), execArgv: ['--import', 'tsx'] }
    : { url: new URL(`./${name}.js`, here), execArgv: [] };
}

type Reply<Res> =
  | { readonly id: number; readonly result: Res }
  | { readonly id: number; readonly error: { name?: string; message?: string; code?: string } };

/** A worker's error as the class and code it was raised with, where it is a ledger error. */
function revived(error: { name?: string; message?: string; code?: string }, what: string): Error {
  const message = error.message ?? `a ${what} worker failed`;
  if (error.name === 'LedgerError' && error.code !== undefined && error.code in LedgerErrorCodes) {
    return new LedgerError(error.code as LedgerErrorCode, message);
  }
  return new Error(message);
}

/**
 * `workers` threads running `module` (which calls {@link serveThreadPool}).
 * An idle pool never keeps the process alive; a busy one does. A worker
 * that fails or exits fails every job waiting and every job after.
 */
export function threadPool<Req, Res>(
  module: WorkerModule,
  workers: number,
  what: string,
): ThreadPool<Req, Res> {
  const waiting = new Map<number, { resolve: (r: Res) => void; reject: (e: unknown) => void }>();
  let failure: Error | undefined;
  let closing = false;
  const fail = (err: Error) => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  const pool = Array.from({ length: Math.max(1, workers) }, () => {
    const slot = { worker: new Worker(module.url, { execArgv: module.execArgv }), busy: 0 };
    slot.worker.unref();
    slot.worker.on('message', (msg: Reply<Res>) => {
      if (--slot.busy === 0) slot.worker.unref();
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if ('result' in msg) w?.resolve(msg.result);
      else w?.reject(revived(msg.error, what));
    });
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (!closing) fail(new Error(`a ${what} worker stopped (exit code ${code})`));
    });
    return slot;
  });
  let next = 0;
  return {
    run(request, transfer = []) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = next++;
      const slot = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
      if (slot.busy++ === 0) slot.worker.ref();
      return new Promise<Res>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        slot.worker.postMessage({ id, request }, [...transfer]);
      });
    },
    async close() {
      closing = true;
      await Promise.all(pool.map((s) => s.worker.terminate()));
    },
  };
}

/** Worker side of a {@link threadPool}: answers each job with `handle`, errors with their name, message and code. */
export function serveThreadPool<Req, Res>(
  handle: (request: Req) => { result: Res; transfer?: ArrayBuffer[] },
): void {
  parentPort?.on('message', (msg: { id: number; request: Req }) => {
    try {
      const { result, transfer = [] } = handle(msg.request);
      parentPort!.postMessage({ id: msg.id, result }, transfer);
    } catch (err) {
      const { name, message, code } = err as { name?: string; message?: string; code?: string };
      parentPort!.postMessage({ id: msg.id, error: { name, message, code } });
    }
  });
}

/** A copy of `bytes` in a buffer of its own, to move to a worker (even a Buffer view, whose slice would share Node's pool). */
export const movableCopy = (bytes: Uint8Array): Uint8Array => concatBytes(bytes);
