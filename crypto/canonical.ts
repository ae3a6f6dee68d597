import { decode, encode, rfc8949EncodeOptions } from 'cborg';
import type { DecodeOptions, EncodeOptions, TypeEncoder } from 'cborg';
import { encodeCbor } from './cbor.js';
import { decodeCbor } from './cbor-reader.js';
import { CryptoError } from './errors.js';

/**
 * Canonical encoding: deterministic CBOR (RFC 8949 §4.2) through cborg.
 * One byte string per value: integers and lengths in their shortest form,
 * floats in the shortest form that keeps their value, map keys sorted
 * bytewise, no tags, no indefinite lengths, no undefined, NaN or infinities.
 * -0 encodes as the integer 0.
 */
export type Canonical =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly Canonical[]
  | { readonly [key: string]: Canonical };

const refuse =
  (what: string): TypeEncoder =>
  () => {
    throw new CryptoError('UNENCODABLE', `${what} has no canonical encoding; use null or omit it`);
  };

const numberEncoder: TypeEncoder = (n) => {
  if (!Number.isFinite(n as number)) {
    throw new CryptoError('UNENCODABLE', `${String(n)} has no canonical encoding`);
  }
  return null; // let cborg choose the shortest exact form
};

const encodeOptions: EncodeOptions = {
  ...rfc8949EncodeOptions,
  typeEncoders: {
    undefined: refuse('undefined'),
    number: numberEncoder,
    bigint: refuse('bigint'),
    Map: refuse('Map'),
    Set: refuse('Set'),
  },
};

const decodeOptions: DecodeOptions = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowNaN: false,
  allowInfinity: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  useMaps: false,
};

/** Canonical bytes of `value`. Throws `UNENCODABLE` for values outside {@link Canonical}. */
export function encodeCanonical(value: unknown): Uint8Array {
  return encodeCbor(value);
}

/**
 * Decodes bytes produced by {@link encodeCanonical}. Refuses any other encoding
 * of the same value (`NON_CANONICAL`), so that a value has exactly one byte
 * string and a content address means what it says.
 */
export function decodeCanonical(bytes: Uint8Array): unknown {
  return decodeCbor(bytes);
}

/**
 * The reference encoder: cborg with RFC 8949 deterministic options. The fast
 * codec (`cbor.ts`) is tested against it; nothing else should need it.
 */
export function encodeWithCborg(value: unknown): Uint8Array {
  try {
    return encode(value, encodeOptions);
  } catch (err) {
    if (err instanceof CryptoError) throw err;
    throw new CryptoError('UNENCODABLE', `value cannot be encoded: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The reference decoder: cborg in strict mode (does not check map order or float width). */
export function decodeWithCborg(bytes: Uint8Array): unknown {
  return decode(bytes, decodeOptions);
}
