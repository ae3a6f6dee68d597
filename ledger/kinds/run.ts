import * as v from 'valibot';
import { defineKind } from './kind.js';
import { plain, uint, uint32 } from './wire.js';

/** A task as named by events: id, version and parameters. */
export interface TaskRef {
  readonly id: string;
  readonly version: number;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** The start of an experiment: everything needed to re-run it from this event. */
export interface RunBody {
  readonly task: TaskRef & { readonly params: Readonly<Record<string, unknown>> };
  readonly seed: number;
  /** The full engine configuration, as plain values. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Engine name and version that produced the run. */
  readonly engine: string;
}

/** Schema of a task reference. */
export const taskRefSchema = v.object({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  version: uint,
  params: v.optional(plain),
});

/** Wire form of a task reference, keys in canonical order. */
export function taskWire(t: TaskRef): Record<string, unknown> {
  return t.params === undefined
    ? { id: t.id, version: t.version }
    : { id: t.id, params: t.params, version: t.version };
}

/** Codec of `run` events. */
export const runKind = defineKind({
  kind: 'run',
  version: 1,
  schema: v.object({
    task: v.object({ id: taskRefSchema.entries.id, version: uint, params: plain }),
    seed: uint32,
    config: plain,
    engine: v.pipe(v.string(), v.maxLength(200)),
  }),
  encode: (b: RunBody): unknown => ({
    seed: b.seed,
    task: taskWire(b.task),
    config: b.config,
    engine: b.engine,
  }),
});
