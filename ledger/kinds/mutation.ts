import * as v from 'valibot';
import type { GenotypeId } from '../../crypto/index.js';
import { defineKind } from './kind.js';
import { idBytes, uint, uint32, wireId } from './wire.js';

/** One applied operator: its name, then its drawn parameters. */
export type AppliedOp = readonly [string, ...(number | string)[]];

/**
 * A child genotype made from a parent (and optionally a mate) by named
 * operators. The run is not repeated here (it would cost a third of the
 * event): it is the run of the parent's event, which is the first dep.
 */
export interface MutationBody {
  readonly generation: number;
  readonly parent: GenotypeId;
  readonly mate?: GenotypeId;
  readonly child: GenotypeId;
  /** The seed the operators were drawn with. */
  readonly seed: number;
  readonly ops: readonly AppliedOp[];
}

const op = v.pipe(
  v.array(v.union([v.string(), v.pipe(v.number(), v.finite())])),
  v.minLength(1),
  v.check((o) => typeof o[0] === 'string', 'an operator starts with its name'),
);

/** Codec of `mutation` events. */
export const mutationKind = defineKind({
  kind: 'mutation',
  version: 1,
  schema: v.object({
    generation: uint,
    parent: wireId<GenotypeId>(),
    mate: v.optional(wireId<GenotypeId>()),
    child: wireId<GenotypeId>(),
    seed: uint32,
    ops: v.array(op),
  }) as unknown as v.GenericSchema<unknown, MutationBody>,
  encode: (b: MutationBody) => {
    const wire: Record<string, unknown> = {
      generation: b.generation,
      parent: idBytes(b.parent),
      child: idBytes(b.child),
      seed: b.seed,
      ops: b.ops,
    };
    if (b.mate !== undefined) wire.mate = idBytes(b.mate);
    return wire;
  },
  genotypes: (b) => (b.mate === undefined ? [b.parent, b.child] : [b.parent, b.mate, b.child]),
});
