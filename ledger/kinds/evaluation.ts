import * as v from 'valibot';
import type { EventId, GenotypeId } from '../../crypto/index.js';
import { defineKind } from './kind.js';
import { taskRefSchema, taskWire } from './run.js';
import type { TaskRef } from './run.js';
import { isFinite, isUint32 } from './accept.js';
import { finite, hexId, idBytes, uint, uint32, wireId } from './wire.js';

/** A fitness measured for a genotype on a task with a seed. */
export interface EvaluationBody {
  readonly run: EventId;
  readonly genotype: GenotypeId;
  readonly task: TaskRef;
  readonly seed: number;
  readonly fitness: number | readonly number[];
  /** Work spent, in the task's unit (e.g. simulation steps). */
  readonly cost: number;
  readonly solved: boolean;
  /** Fitness evaluations this event accounts for (1, or the tuning attempts it sums up). */
  readonly evaluations: number;
}

/** Codec of `evaluation` events. */
export const evaluationKind = defineKind({
  kind: 'evaluation',
  version: 1,
  schema: v.object({
    run: wireId<EventId>(),
    genotype: wireId<GenotypeId>(),
    task: taskRefSchema,
    seed: uint32,
    fitness: v.union([finite, v.array(finite)]),
    cost: v.pipe(finite, v.minValue(0)),
    solved: v.boolean(),
    evaluations: v.pipe(uint, v.minValue(1)),
  }),
  // Reading checked the ids, `task.version`, `solved`, `evaluations` as a
  // non-negative integer and the numbers as finite.
  admits: ({ task, seed, fitness, cost, evaluations }) =>
    task.id.length >= 1 &&
    task.id.length <= 200 &&
    isUint32(seed) &&
    (isFinite(fitness) || (Array.isArray(fitness) && fitness.every(isFinite))) &&
    cost >= 0 &&
    evaluations >= 1,
  // Keys in canonical order (shorter first, then bytewise): the encoder then need not sort.
  encode: (b: EvaluationBody) => ({
    run: idBytes(b.run),
    cost: b.cost,
    seed: b.seed,
    task: taskWire(b.task),
    solved: b.solved,
    fitness: b.fitness,
    genotype: idBytes(b.genotype),
    evaluations: b.evaluations,
  }),
  write: (b, w) => {
    w.map(8);
    w.text('run');
    w.hexBytes(b.run, 32);
    w.text('cost');
    w.number(b.cost);
    w.text('seed');
    w.number(b.seed);
    w.text('task');
    w.value(taskWire(b.task));
    w.text('solved');
    w.bool(b.solved);
    w.text('fitness');
    w.value(b.fitness);
    w.text('genotype');
    w.hexBytes(b.genotype, 32);
    w.text('evaluations');
    w.number(b.evaluations);
  },
  fromTrusted: (w: Record<string, Uint8Array> & Omit<EvaluationBody, 'run' | 'genotype'>) => ({
    run: hexId<EventId>(w.run),
    genotype: hexId<GenotypeId>(w.genotype),
    task: w.task,
    seed: w.seed,
    fitness: w.fitness,
    cost: w.cost,
    solved: w.solved,
    evaluations: w.evaluations,
  }),
  readTrusted: (r) => {
    r.map(8);
    r.key('run');
    const run = r.id<EventId>();
    r.key('cost');
    const cost = r.number();
    r.key('seed');
    const seed = r.uint();
    r.key('task');
    // Task references with parameters are left to the wire object (evaluations name none).
    r.map(2);
    r.key('id');
    const id = r.text();
    r.key('version');
    const version = r.uint();
    r.key('solved');
    const solved = r.bool();
    r.key('fitness');
    const fitness = r.value() as EvaluationBody['fitness'];
    r.key('genotype');
    const genotype = r.id<GenotypeId>();
    r.key('evaluations');
    const evaluations = r.uint();
    return { run, genotype, task: { id, version }, seed, fitness, cost, solved, evaluations };
  },
  genotypes: (b) => [b.genotype],
});
