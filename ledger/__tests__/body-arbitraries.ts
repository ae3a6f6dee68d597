import fc from 'fast-check';
import { idFromBytes } from '../../crypto/index.js';
import type { EventId, PublicKey, RealmId } from '../../crypto/index.js';

/** fast-check arbitraries of valid bodies of the bulk kinds, shared by the kinds' properties. */
export const arbId = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => idFromBytes<EventId>(b));
export const arbFinite = fc.double({ noNaN: true, noDefaultInfinity: true });
export const arbUint32 = fc.nat({ max: 0xffffffff });

/** A mutation body, with or without a mate. */
export const mutationBody = fc.record(
  {
    generation: fc.nat(),
    parent: arbId,
    mate: arbId,
    child: arbId,
    seed: arbUint32,
    ops: fc.array(
      fc
        .tuple(fc.string(), fc.array(fc.oneof(fc.string(), arbFinite), { maxLength: 4 }))
        .map(([name, params]) => [name, ...params]),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: ['generation', 'parent', 'child', 'seed', 'ops'] },
);

/** A selection body. */
export const selectionBody = fc.record({
  run: arbId,
  generation: fc.nat(),
  previous: fc.option(arbId, { nil: null }),
  survivors: fc.array(arbId, { maxLength: 4 }),
  method: fc.string({ maxLength: 100 }),
  best: arbFinite,
});

/**
 * An evaluation body; with `params`, its task reference may also name
 * parameters (a layout the in-place reader leaves to the wire object).
 */
export const evaluationBody = (params?: fc.Arbitrary<Record<string, unknown>>) =>
  fc.record({
    run: arbId,
    genotype: arbId,
    task:
      params === undefined
        ? fc.record({ id: fc.string({ minLength: 1, maxLength: 200 }), version: fc.nat() })
        : fc.record(
            { id: fc.string({ minLength: 1, maxLength: 200 }), version: fc.nat(), params },
            { requiredKeys: ['id', 'version'] },
          ),
    seed: arbUint32,
    fitness: fc.oneof(arbFinite, fc.array(arbFinite, { maxLength: 3 })),
    cost: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
    solved: fc.boolean(),
    evaluations: fc.integer({ min: 1, max: 2 ** 40 }),
  });

/** Where the kinds' properties place the records they decode. */
export const envelope = {
  id: 'ee'.repeat(32) as EventId,
  realm: 'aa'.repeat(32) as RealmId,
  author: 'bb'.repeat(32) as PublicKey,
  seq: 7,
};
