import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EvolutionError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { toCanonical } from './genotype.js';
import type { CanonicalGenotype } from './genotype.js';
import type { Task } from './tasks/task.js';
import type { DevelopJob, DevelopResult, TuningConfig } from './tuning.js';

/** Message to a worker: a batch of jobs for one task. */
export interface WorkerRequest {
  readonly id: number;
  readonly task: {
    readonly id: string;
    readonly params: Readonly<Record<string, unknown>>;
    readonly module?: string;
  };
  readonly jobs: readonly {
    readonly genotype: CanonicalGenotype;
    readonly evalSeed: number;
    readonly tuneSeed: number;
    readonly tuning: TuningConfig | null;
  }[];
}

/** A worker's answer. */
export type WorkerResponse =
  | { readonly id: number; readonly results: DevelopResult[] }
  | { readonly id: number; readonly error: string };

/** Worker pool options. */
export interface WorkerPoolOptions {
  /** Number of threads (default: one per core). */
  readonly workers?: number;
  /** Jobs per message (default: spread each call over about 4 messages per worker). */
  readonly chunk?: number;
}

function workerEntry(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  // Under vitest/tsx the sources run as .ts: start the worker through tsx too.
  if (here.endsWith('.ts'))
    return { url: new URL('./evaluation-worker.ts', here), execArgv: ['--import', 'tsx'] };
  return { url: new URL('./evaluation-worker.js', here), execArgv: [] };
}

/**
 * Evaluates over `worker_threads`. Jobs are sent as canonical genotypes with
 * the task's id and params (or module URL for custom tasks); results are put
 * back in job order, so the outcome is the same for any number of workers.
 */
export function createWorkerPool(options: WorkerPoolOptions = {}): Evaluator {
  const size = Math.max(1, options.workers ?? availableParallelism());
  const workers: Worker[] = [];
  const idle: Worker[] = [];
  const waiting: ((w: Worker) => void)[] = [];
  const pending = new Map<
    number,
    { resolve: (r: DevelopResult[]) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let failure: Error | null = null;

  const spawn = (): Worker => {
    const { url, execArgv } = workerEntry();
    const w = new Worker(url, { execArgv });
    w.on('message', (msg: WorkerResponse) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (p !== undefined) {
        if ('error' in msg)
          p.reject(new EvolutionError('WORKER_FAILED', `evaluation worker failed: ${msg.error}`));
        else p.resolve(msg.results);
      }
      release(w);
    });
    w.on('error', (err) => {
      failure = new EvolutionError('WORKER_FAILED', `evaluation worker crashed: ${err.message}`, {
        cause: err,
      });
      for (const p of pending.values()) p.reject(failure);
      pending.clear();
    });
    workers.push(w);
    return w;
  };

  const release = (w: Worker): void => {
    const next = waiting.shift();
    if (next !== undefined) next(w);
    else {
      w.unref(); // an idle pool never keeps the process alive
      idle.push(w);
    }
  };

  const acquire = (): Promise<Worker> => {
    const w = idle.pop();
    if (w !== undefined) return Promise.resolve(w);
    if (workers.length < size) return Promise.resolve(spawn());
    return new Promise((resolve) => waiting.push(resolve));
  };

  const run = async (req: Omit<WorkerRequest, 'id'>): Promise<DevelopResult[]> => {
    const w = await acquire();
    if (failure !== null) throw failure;
    const id = nextId++;
    return new Promise<DevelopResult[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ ...req, id });
    });
  };

  return {
    async develop(task: Task, jobs: readonly DevelopJob[]): Promise<DevelopResult[]> {
      if (jobs.length === 0) return [];
      const ref = {
        id: task.id,
        params: task.params,
        ...(task.module === undefined ? {} : { module: task.module }),
      };
      const chunk = options.chunk ?? Math.max(1, Math.ceil(jobs.length / (size * 4)));
      const parts: Promise<DevelopResult[]>[] = [];
      for (let i = 0; i < jobs.length; i += chunk) {
        const slice = jobs.slice(i, i + chunk).map((j) => ({
          genotype: toCanonical(j.genotype),
          evalSeed: j.evalSeed,
          tuneSeed: j.tuneSeed,
          tuning: j.tuning,
        }));
        parts.push(run({ task: ref, jobs: slice }));
      }
      return (await Promise.all(parts)).flat();
    },
    async close(): Promise<void> {
      await Promise.all(workers.map((w) => w.terminate()));
      workers.length = 0;
      idle.length = 0;
    },
  };
}
