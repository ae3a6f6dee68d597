import * as v from 'valibot';
import { unexpectedShape } from '../../crypto/index.js';
import type { GenotypeId } from '../../crypto/index.js';
import { defineKind } from './kind.js';
import { isFinite, isUint32 } from './accept.js';
import { hexId, idBytes, uint, uint32, wireId } from './wire.js';

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

interface MutationWire {
  generation: number;
  parent: Uint8Array;
  mate?: Uint8Array;
  child: Uint8Array;
  seed: number;
  ops: AppliedOp[];
}

const op = v.pipe(
  v.array(v.union([v.string(), v.pipe(v.number(), v.finite())])),
  v.minLength(1),
  v.check((o) => typeof o[0] === 'string', 'an operator starts with its name'),
);

/** `op`, checked by hand. */
function isOp(o: unknown): o is AppliedOp {
  if (!Array.isArray(o) || o.length === 0 || typeof o[0] !== 'string') return false;
  for (let i = 1; i < o.length; i++) {
    const x: unknown = o[i];
    if (typeof x !== 'string' && !isFinite(x)) return false;
  }
  return true;
}

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
  // Reading checked the ids, `generation` and the record's layout.
  admits: (b) => isUint32(b.seed) && Array.isArray(b.ops) && b.ops.every(isOp),
  encode: (b: MutationBody) => {
    // Keys in canonical order (shorter first, then bytewise): the encoder then need not sort.
    const tail = {
      seed: b.seed,
      child: idBytes(b.child),
      parent: idBytes(b.parent),
      generation: b.generation,
    };
    return b.mate === undefined
      ? { ops: b.ops, ...tail }
      : { ops: b.ops, mate: idBytes(b.mate), ...tail };
  },
  write: (b, w) => {
    w.map(b.mate === undefined ? 5 : 6);
    w.text('ops');
    w.value(b.ops);
    if (b.mate !== undefined) {
      w.text('mate');
      w.hexBytes(b.mate, 32);
    }
    w.text('seed');
    w.number(b.seed);
    w.text('child');
    w.hexBytes(b.child, 32);
    w.text('parent');
    w.hexBytes(b.parent, 32);
    w.text('generation');
    w.number(b.generation);
  },
  fromTrusted: (w: Record<string, unknown> & MutationWire) => {
    const body: { -readonly [K in keyof MutationBody]: MutationBody[K] } = {
      generation: w.generation,
      parent: hexId<GenotypeId>(w.parent),
      child: hexId<GenotypeId>(w.child),
      seed: w.seed,
      ops: w.ops,
    };
    if (w.mate !== undefined) body.mate = hexId<GenotypeId>(w.mate);
    return body;
  },
  readTrusted: (r) => {
    const entries = r.map();
    r.key('ops');
    const ops = r.value() as AppliedOp[];
    const mate = entries === 6 && r.hasKey('mate') ? r.id<GenotypeId>() : undefined;
    if (entries !== (mate === undefined ? 5 : 6)) unexpectedShape();
    r.key('seed');
    const seed = r.uint();
    r.key('child');
    const child = r.id<GenotypeId>();
    r.key('parent');
    const parent = r.id<GenotypeId>();
    r.key('generation');
    const generation = r.uint();
    const body: { -readonly [K in keyof MutationBody]: MutationBody[K] } = {
      generation,
      parent,
      child,
      seed,
      ops,
    };
    if (mate !== undefined) body.mate = mate;
    return body;
  },
  genotypes: (b) => (b.mate === undefined ? [b.parent, b.child] : [b.parent, b.mate, b.child]),
});
