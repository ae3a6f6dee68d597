import { CryptoError } from './errors.js';

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
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
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Concatenates byte strings. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
