import { concatBytes } from './bytes.js';
import { tagBytes } from './hash.js';
import { nodeBackend } from './node-backend.js';
import type { SignatureBackend } from './signature-backend.js';

/**
 * Domain tags, one per thing that is signed (as Hypercore does): a signature
 * made for one purpose can never be replayed as another.
 */
export const SigningDomains = {
  block: 'evoledger/block/v1',
  keyProof: 'evoledger/key-proof/v1',
} as const;

/** One of {@link SigningDomains}. */
export type SigningDomain = (typeof SigningDomains)[keyof typeof SigningDomains];

const defaultBackend: SignatureBackend = nodeBackend;

/** The backend used when none is given: node:crypto (the property tests hold it to @noble/curves). */
export function getDefaultBackend(): SignatureBackend {
  return defaultBackend;
}

/** The bytes actually signed: the domain prefix, then the payload. */
export function signingInput(domain: SigningDomain, payload: Uint8Array): Uint8Array {
  return concatBytes(tagBytes(domain), payload);
}

/** Signs `payload` for `domain`. */
export function signTagged(
  domain: SigningDomain,
  secret: Uint8Array,
  payload: Uint8Array,
  backend: SignatureBackend = defaultBackend,
): Uint8Array {
  return backend.sign(secret, signingInput(domain, payload));
}

/** Verifies a signature made by {@link signTagged}; never throws. */
export function verifyTagged(
  domain: SigningDomain,
  publicKey: Uint8Array,
  payload: Uint8Array,
  signature: Uint8Array,
  backend: SignatureBackend = defaultBackend,
): boolean {
  return backend.verify(publicKey, signingInput(domain, payload), signature);
}
