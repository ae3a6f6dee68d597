import fc from 'fast-check';
import { idFromBytes } from '../../crypto/index.js';
import type { EventId } from '../../crypto/index.js';

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
