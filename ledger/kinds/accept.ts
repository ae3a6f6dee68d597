/**
 * Predicates for kinds' fast acceptance paths (`admits` in `defineKind`):
 * hand-written checks of bodies read in place that spare a wire object and
 * a valibot run per event. They mirror the schema building blocks of
 * `wire.ts` exactly; a property test (`kinds/fast-paths.prop.test.ts`)
 * holds every fast path to its kind's schema, which stays the single source
 * of truth and the reporter of what is wrong.
 */

/** `uint32`: a non-negative integer below 2^32. */
export const isUint32 = (x: unknown): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

/** `finite`: a finite number. */
export const isFinite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
