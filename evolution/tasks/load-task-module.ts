import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EvolutionError } from '../errors.js';
import type { Task } from './task.js';

function fail(where: string, why: string, cause?: unknown): never {
  throw new EvolutionError(
    'INVALID_TASK_MODULE',
    `task module ${where}: ${why}. A task module exports (default or as "task") an object ` +
      '{ id: string, version: integer, sensors: integer >= 1, actuators: integer >= 1, params: object, ' +
      'evaluate(phenotype, seed) => { fitness, cost, solved } }.',
    cause === undefined ? undefined : { cause },
  );
}

/** Checks that `value` is a usable task object; throws `INVALID_TASK_MODULE`. */
export function validateTask(value: unknown, where: string): Task {
  if (typeof value !== 'object' || value === null) fail(where, 'the export is not an object');
  const t = value as Record<string, unknown>;
  if (typeof t.id !== 'string' || t.id.length === 0) fail(where, '"id" must be a non-empty string');
  if (typeof t.version !== 'number' || !Number.isInteger(t.version) || t.version < 0)
    fail(where, '"version" must be a non-negative integer');
  for (const k of ['sensors', 'actuators'] as const) {
    const v = t[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4096)
      fail(where, `"${k}" must be an integer in 1..4096`);
  }
  if (typeof t.params !== 'object' || t.params === null || Array.isArray(t.params))
    fail(where, '"params" must be a plain object');
  if (typeof t.evaluate !== 'function')
    fail(where, '"evaluate" must be a function (phenotype, seed) => { fitness, cost, solved }');
  return value as Task;
}

/**
 * Loads a custom task from an ES module file (dynamic import). The module
 * exports the task as `default` or as `task`. The returned task remembers its
 * module URL so worker threads can load it as well.
 */
export async function loadTaskModule(path: string): Promise<Task> {
  const url = path.startsWith('file:')
    ? path
    : pathToFileURL(isAbsolute(path) ? path : resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    fail(path, `cannot be imported (${(err as Error).message})`, err);
  }
  const exported = mod.default ?? mod.task;
  const task = validateTask(exported, path);
  return { ...task, evaluate: task.evaluate.bind(task), module: url };
}
