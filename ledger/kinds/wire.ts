import * as v from 'valibot';
import { idFromBytes, idToBytes } from '../../crypto/index.js';
import type { AnyId } from '../../crypto/index.js';

/**
 * Building blocks shared by the kind schemas. On the wire an id is 32 raw
 * bytes; in memory it is branded lower-case hex.
 */
export const wireId = <T extends AnyId>() =>
  v.pipe(
    v.instance(Uint8Array),
    v.length(32, 'an id is 32 bytes'),
    v.transform((bytes) => idFromBytes<T>(bytes)),
  );

/** A non-negative safe integer. */
export const uint = v.pipe(v.number(), v.integer(), v.minValue(0));

/** A 32-bit unsigned seed. */
export const uint32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));

/** A finite number (canonical CBOR already refuses NaN and infinities). */
export const finite = v.pipe(v.number(), v.finite());

/** Any plain canonical value kept as is (genotypes, configs, task parameters). */
export const plain = v.record(v.string(), v.unknown());

/** Hex of a trusted 32-byte wire id (no checks: the store validated it on entry). */
export const hexId = <T extends AnyId>(bytes: unknown): T => idFromBytes<T>(bytes as Uint8Array);

/** Converts an id to its wire bytes. */
export const idBytes = (id: AnyId): Uint8Array => idToBytes(id);

/** Converts optional ids. */
export const maybeIdBytes = (id: AnyId | null): Uint8Array | null =>
  id === null ? null : idToBytes(id);
