import { parentPort } from 'node:worker_threads';
import { fromCanonical } from './genotype.js';
import { loadTaskModule } from './tasks/load-task-module.js';
import { getTask } from './tasks/registry.js';
import type { Task } from './tasks/task.js';
import { develop } from './tuning.js';
import type { WorkerRequest, WorkerResponse } from './worker-pool.js';

/** Worker thread entry of the worker pool: develops batches of jobs. */
const tasks = new Map<string, Promise<Task>>();

function taskFor(req: WorkerRequest): Promise<Task> {
  const key = JSON.stringify(req.task);
  let t = tasks.get(key);
  if (t === undefined) {
    t =
      req.task.module !== undefined
        ? loadTaskModule(req.task.module)
        : Promise.resolve(getTask(req.task.id, req.task.params));
    tasks.set(key, t);
  }
  return t;
}

parentPort?.on('message', (req: WorkerRequest) => {
  taskFor(req)
    .then((task) => {
      const results = req.jobs.map((j) =>
        develop(task, { ...j, genotype: fromCanonical(j.genotype) }),
      );
      parentPort?.postMessage({ id: req.id, results } satisfies WorkerResponse);
    })
    .catch((err: unknown) => {
      parentPort?.postMessage({
        id: req.id,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      } satisfies WorkerResponse);
    });
});
