import { idFromBytes } from '../../crypto/index.js';
import type { AnyId } from '../../crypto/index.js';

/**
 * Predicates for kinds' fast acceptance paths (`accept` in `defineKind`):
 * hand-written checks of the bulk kinds' wire bodies that spare a valibot
 * run per event (about 2 µs, a tenth of verifying an event). They mirror
 * the schema building blocks of `wire.ts` exactly; a property test
 * (`kinds/fast-paths.prop.test.ts`) holds every fast path to its kind's schema,
 * which stays the single source of truth and the reporter of what is wrong.
 */

/** The own keys of a decoded wire map, counted (a fast path accepts no unknown key). */
export const keyCount = (w: object): number => Object.keys(w).length;

/** `wireId`: 32 raw bytes; gives the id as hex, or undefined. */
export function wireIdHex<T extends AnyId>(x: unknown): T | undefined {
  return x instanceof Uint8Array && x.byteLength === 32 ? idFromBytes<T>(x) : undefined;
}

/** `uint`: a non-negative integer. */
export const isUint = (x: unknown): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** `uint32`: a non-negative integer below 2^32. */
export const isUint32 = (x: unknown): x is number => isUint(x) && x <= 0xffffffff;

/** `finite`: a finite number. */
export const isFinite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A plain map as the canonical decoder makes them (not an array, not a byte string). */
export const isMap = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
