import type { Task } from './tasks/task.js';
import { develop } from './tuning.js';
import type { DevelopJob, DevelopResult } from './tuning.js';

/**
 * Runs evaluation work. Results come back in job order and depend only on
 * the jobs, never on how many threads ran them.
 */
export interface Evaluator {
  develop(task: Task, jobs: readonly DevelopJob[]): Promise<DevelopResult[]>;
  /** Releases threads, if any. */
  close(): Promise<void>;
}

/** Evaluates on the calling thread. */
export function inlineEvaluator(): Evaluator {
  return {
    develop: (task, jobs) => Promise.resolve(jobs.map((j) => develop(task, j))),
    close: () => Promise.resolve(),
  };
}
