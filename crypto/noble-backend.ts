import { ed25519 } from '@noble/curves/ed25519.js';
import type { SignatureBackend } from './signature-backend.js';

/** Pure-JS Ed25519 from @noble/curves: audited, portable, the reference. */
export const nobleBackend: SignatureBackend = {
  name: 'noble',
  publicKey: (secret) => ed25519.getPublicKey(secret),
  sign: (secret, message) => ed25519.sign(message, secret),
  verify(publicKey, message, signature) {
    try {
      return ed25519.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
};
