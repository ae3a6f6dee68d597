import { digest, digest2Bytes32, hashInto as asHashInto } from '@chainsafe/as-sha256';
import { hash } from 'node:crypto';

/**
 * Inputs at least this long go to node:crypto's one-shot `hash()` (OpenSSL),
 * shorter ones to @chainsafe/as-sha256 (WebAssembly). Measured here on Node
 * 22 (scratch micro-benchmark, both interleaved): 64 B as-sha256 ~1.4× faster;
 * 300 B (an event id's input) node:crypto ~1.6× faster; 600 B ~3×.
 */
const NATIVE_FROM = 128;

/** sha256 of `data`; a property test holds it to node:crypto for every length. */
export function sha256(data: Uint8Array): Uint8Array {
  return data.byteLength >= NATIVE_FROM ? hash('sha256', data, 'buffer') : digest(data);
}

/** sha256(a ‖ b) of two 32-byte values: a Merkle node. */
export function sha256Pair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return digest2Bytes32(a, b);
}

/**
 * sha256 of each 64-byte chunk of `input` into the 32-byte slots of
 * `output` (a Merkle level): four chunks at a time in SIMD lanes.
 */
export function hashInto(input: Uint8Array, output: Uint8Array): void {
  asHashInto(input, output);
}

const encoder = new TextEncoder();
const tagCache = new Map<string, Uint8Array>();

/**
 * Domain separation prefix: one length byte then the UTF-8 tag, so that no
 * two tags can produce the same prefix of another's input.
 */
export function tagBytes(tag: string): Uint8Array {
  let bytes = tagCache.get(tag);
  if (bytes === undefined) {
    const utf8 = encoder.encode(tag);
    if (utf8.length > 255) throw new RangeError(`domain tag longer than 255 bytes: ${tag}`);
    bytes = new Uint8Array(utf8.length + 1);
    bytes[0] = utf8.length;
    bytes.set(utf8, 1);
    tagCache.set(tag, bytes);
  }
  return bytes;
}

let scratch = new Uint8Array(1024);

/** sha256(tag prefix ‖ parts…): the only way ids are made in evoledger. */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  const prefix = tagBytes(tag);
  let length = prefix.length;
  for (const p of parts) length += p.length;
  if (length > scratch.length) scratch = new Uint8Array(Math.max(length, scratch.length * 2));
  scratch.set(prefix, 0);
  let at = prefix.length;
  for (const p of parts) {
    scratch.set(p, at);
    at += p.length;
  }
  return sha256(scratch.subarray(0, length));
}
