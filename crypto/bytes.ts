import { CryptoError } from './errors.js';

type Slice = (this: Uint8Array, start: number, end: number) => string;
/**
 * Node's native hex conversion, called on the bytes themselves: it takes any
 * Uint8Array, and spares the Buffer wrapper `toString('hex')` needs, which
 * halves the cost of the commonest conversion in evoledger (measured ~2×).
 */
const hexSlice = (Buffer.prototype as unknown as { hexSlice?: Slice }).hexSlice;

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return hexSlice !== undefined
    ? hexSlice.call(bytes, 0, bytes.byteLength)
    : bufferView(bytes).toString('hex');
}

const HEX = /^(?:[0-9a-f]{2})*$/;

/** Bytes of a lower-case hex string; throws `BAD_HEX` on anything else. */
export function fromHex(hex: string, expectedBytes?: number): Uint8Array {
  if (!HEX.test(hex) || (expectedBytes !== undefined && hex.length !== expectedBytes * 2)) {
    const want = expectedBytes === undefined ? '' : ` of ${expectedBytes} bytes`;
    throw new CryptoError('BAD_HEX', `expected lower-case hex${want}, got "${hex.slice(0, 80)}"`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** A Buffer over the same memory as `bytes` (no copy), for Node's conversions. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** True when both byte strings are equal. Not constant-time: never use it on secrets. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return bufferView(a).equals(b);
}

/**
 * Concatenates byte strings into a fresh array that owns its memory (so it
 * can be transferred to another thread). One copy, through `set`: Node's
 * `Buffer.concat` and `new Uint8Array(buffer)` cost 5–10× more on blocks of
 * a few hundred kB (measured here, scratch micro-benchmark).
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
