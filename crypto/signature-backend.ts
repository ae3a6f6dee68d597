/**
 * The contract every Ed25519 implementation satisfies. Keys are raw: a 32-byte
 * secret seed and a 32-byte public key; signatures are 64 bytes (RFC 8032).
 */
export interface SignatureBackend {
  /** Name shown in benchmarks and diagnostics. */
  readonly name: string;
  /** Public key of a 32-byte secret seed. */
  publicKey(secret: Uint8Array): Uint8Array;
  /** Deterministic RFC 8032 signature of `message`. */
  sign(secret: Uint8Array, message: Uint8Array): Uint8Array;
  /** True when `signature` is valid for `message` under `publicKey`; never throws. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}
