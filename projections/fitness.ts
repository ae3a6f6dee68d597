import { encodeCanonical, taggedHash, toHex } from '../crypto/index.js';
import type { TaskRef } from '../ledger/index.js';

/** A fitness as evaluation events record it: a scalar or a vector. */
export type Fitness = number | readonly number[];

/**
 * Orders fitness values: positive when `a` is better than `b`. Vectors compare
 * lexicographically (a scalar is a vector of one); a missing component loses.
 */
export function compareFitness(a: Fitness, b: Fitness): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a > b ? 1 : -1;
  const x = typeof a === 'number' ? [a] : a;
  const y = typeof b === 'number' ? [b] : b;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i] ?? -Infinity;
    const q = y[i] ?? -Infinity;
    if (p !== q) return p > q ? 1 : -1;
  }
  return 0;
}

/** The component that summaries average and plot: the scalar, or a vector's first component. */
export function primaryFitness(f: Fitness): number {
  return typeof f === 'number' ? f : (f[0] ?? 0);
}

// Keyed by the JSON text of the parameters: a cache only, the suffix itself
// is the hash of the canonical encoding, so key order never changes a result.
const paramKeys = new Map<string, string>();

/**
 * The key that tells tasks apart: `id@version`, plus a short hash of the
 * parameters when there are any (two parameterisations are two tasks).
 */
export function taskKey(task: TaskRef): string {
  const base = `${task.id}@${task.version}`;
  if (task.params === undefined || Object.keys(task.params).length === 0) return base;
  const text = JSON.stringify(task.params);
  let suffix = paramKeys.get(text);
  if (suffix === undefined) {
    suffix = toHex(taggedHash('evoledger/task-params/v1', encodeCanonical(task.params))).slice(
      0,
      12,
    );
    if (paramKeys.size > 10_000) paramKeys.clear();
    paramKeys.set(text, suffix);
  }
  return `${base}#${suffix}`;
}
