import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { SignatureBackend } from './signature-backend.js';

// DER prefixes that wrap a raw Ed25519 key as PKCS#8 / SPKI (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// Key objects are costly to build; signing and verifying reuse them
// (about 18x faster than @noble/curves with a cached key, DESIGN.md).
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();
const CACHE_LIMIT = 4096;

function cached(
  cache: Map<string, KeyObject>,
  raw: Uint8Array,
  build: (der: Buffer) => KeyObject,
  prefix: Buffer,
): KeyObject {
  const key = Buffer.from(raw).toString('base64');
  let object = cache.get(key);
  if (object === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    object = build(Buffer.concat([prefix, raw]));
    cache.set(key, object);
  }
  return object;
}

const privateKey = (secret: Uint8Array) =>
  cached(
    privateKeys,
    secret,
    (der) => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
    PKCS8_PREFIX,
  );
const publicKey = (raw: Uint8Array) =>
  cached(
    publicKeys,
    raw,
    (der) => createPublicKey({ key: der, format: 'der', type: 'spki' }),
    SPKI_PREFIX,
  );

/** Ed25519 through OpenSSL (node:crypto), with key objects cached. */
export const nodeBackend: SignatureBackend = {
  name: 'node',
  publicKey(secret) {
    const spki = createPublicKey(privateKey(secret)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  },
  sign: (secret, message) => new Uint8Array(sign(null, message, privateKey(secret))),
  verify(raw, message, signature) {
    if (raw.byteLength !== 32 || signature.byteLength !== 64) return false;
    try {
      return verify(null, message, publicKey(raw), signature);
    } catch {
      return false;
    }
  },
};
