import type { GenotypeId } from '../crypto/index.js';
import { EvolutionError } from './errors.js';
import { genotypeId, networkSize } from './genotype.js';
import type { Genotype } from './genotype.js';
import type { AppliedOp, DrawContext, Operator } from './operator.js';
import { addActuatorlink, addInlink, addOutlink, addSensorlink, removeLink } from './ops-links.js';
import {
  addActuator,
  addNeuron,
  addSensor,
  insplice,
  outsplice,
  removeNeuron,
} from './ops-nodes.js';
import { addBias, mutateAf, mutateWeights, perturb, removeBias } from './ops-weights.js';
import { Rng } from './random.js';

/** Every operator by name (`perturb` is applied by tuning, never drawn). */
export const OPERATORS: ReadonlyMap<string, Operator> = new Map(
  [
    mutateWeights,
    addBias,
    removeBias,
    mutateAf,
    addOutlink,
    addInlink,
    addNeuron,
    outsplice,
    insplice,
    addSensorlink,
    addActuatorlink,
    addSensor,
    addActuator,
    removeLink,
    removeNeuron,
    perturb,
  ].map((op) => [op.name, op]),
);

/** Names of the operators that mutation may draw. */
export const MUTATION_OPERATORS: readonly string[] = [...OPERATORS.keys()].filter(
  (n) => n !== 'perturb',
);

/** The operator called `name`; throws `UNKNOWN_OPERATOR`. */
export function getOperator(name: string): Operator {
  const op = OPERATORS.get(name);
  if (op === undefined)
    throw new EvolutionError(
      'UNKNOWN_OPERATOR',
      `unknown operator "${name}"; known: ${[...OPERATORS.keys()].join(', ')}`,
    );
  return op;
}

/** Applies one recorded operator. */
export function applyOp(g: Genotype, op: AppliedOp): Genotype {
  const [name, ...params] = op;
  return getOperator(name).apply(g, params);
}

/** Applies recorded operators in order: the whole of replay. */
export function applyOps(parent: Genotype, ops: readonly AppliedOp[]): Genotype {
  let g = parent;
  for (const op of ops) g = applyOp(g, op);
  return g;
}

/**
 * Replays a mutation event: applies `ops` to `parent` and, when `expected` is
 * given, checks the child's id (throws `REPLAY_MISMATCH`).
 */
export function replayMutation(
  parent: Genotype,
  ops: readonly AppliedOp[],
  expected?: GenotypeId,
): Genotype {
  const child = applyOps(parent, ops);
  if (expected !== undefined && genotypeId(child) !== expected) {
    throw new EvolutionError(
      'REPLAY_MISMATCH',
      `operators reproduce ${genotypeId(child)}, the event claims ${expected}`,
    );
  }
  return child;
}

/** How mutation draws operators. */
export interface MutationConfig extends DrawContext {
  /** Relative weight of each operator (missing or 0: never drawn). */
  readonly operators: Readonly<Record<string, number>>;
  /** Operator count is uniform in 1..max(1, ceil(opsScale * sqrt(size))) (DXNN: opsScale 1). */
  readonly opsScale: number;
  /** Hard cap on operators per offspring (keeps mutation events small). */
  readonly maxOps: number;
}

/**
 * Draws and applies a random number of operators (DXNN: uniform in
 * 1..ceil(sqrt(neurons))) with a stream seeded by `seed` only.
 */
export function drawMutation(
  parent: Genotype,
  seed: number,
  config: MutationConfig,
): { ops: AppliedOp[]; child: Genotype } {
  const rng = new Rng(seed);
  const names = Object.keys(config.operators)
    .filter((n) => (config.operators[n] ?? 0) > 0)
    .sort();
  for (const n of names) getOperator(n);
  const weights = names.map((n) => config.operators[n] as number);
  const upper = Math.min(
    config.maxOps,
    Math.max(1, Math.ceil(config.opsScale * Math.sqrt(networkSize(parent)))),
  );
  const count = rng.int(1, upper);
  const ops: AppliedOp[] = [];
  let g = parent;
  for (let k = 0; k < count && names.length > 0; k++) {
    for (let attempt = 0; attempt < 16; attempt++) {
      const name = names[rng.weighted(weights)] as string;
      const op = getOperator(name);
      const params = op.draw(g, rng, config);
      if (params === null) continue;
      g = op.apply(g, params);
      ops.push([name, ...params]);
      break;
    }
  }
  return { ops, child: g };
}
