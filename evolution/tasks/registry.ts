import { EvolutionError } from '../errors.js';
import { parityTask, xorTask } from './boolean.js';
import { dpnvTask, dpvTask, singlePoleTask } from './pole.js';
import type { Task } from './task.js';

/** A built-in task as listed by {@link tasks}. */
export interface TaskInfo {
  readonly id: string;
  readonly version: number;
  readonly description: string;
  /** Default parameters. */
  readonly params: Readonly<Record<string, unknown>>;
}

const factories = {
  xor: { make: () => xorTask(), description: 'XOR of two bits (NEAT 2002 benchmark)' },
  parity: {
    make: (p: Record<string, unknown>) => parityTask(p),
    description: 'N-bit parity (param bits, default 3)',
  },
  'single-pole': {
    make: (p: Record<string, unknown>) => singlePoleTask(p),
    description: 'single pole balancing with velocities',
  },
  dpv: {
    make: (p: Record<string, unknown>) => dpvTask(p),
    description: 'double pole balancing with velocities (NEAT 2002)',
  },
  dpnv: {
    make: (p: Record<string, unknown>) => dpnvTask(p),
    description:
      'double pole without velocities, damping fitness, 625-start generalization (NEAT 2002)',
  },
} as const satisfies Record<
  string,
  { make: (p: Record<string, unknown>) => Task; description: string }
>;

/** The built-in tasks with their default parameters. */
export function tasks(): TaskInfo[] {
  return Object.entries(factories).map(([id, f]) => {
    const t = f.make({});
    return { id, version: t.version, description: f.description, params: t.params };
  });
}

/** A built-in task by id; throws `UNKNOWN_TASK` or `INVALID_TASK_PARAMS`. */
export function getTask(id: string, params: Readonly<Record<string, unknown>> = {}): Task {
  if (!Object.hasOwn(factories, id)) {
    throw new EvolutionError(
      'UNKNOWN_TASK',
      `unknown task "${id}"; built-in tasks: ${Object.keys(factories).join(', ')}`,
    );
  }
  return factories[id as keyof typeof factories].make({ ...params });
}
