export { bufferView, bytesEqual, concatBytes, fromHex, toHex } from './bytes.js';
export { decodeCanonical, decodeWithCborg, encodeCanonical, encodeWithCborg } from './canonical.js';
export type { Canonical } from './canonical.js';
export { cborWriter } from './cbor.js';
export type { CborWriter } from './cbor.js';
export { CborReader, UnexpectedShape, unexpectedShape } from './cbor-reader.js';
export { CodedError } from './coded-error.js';
export { CryptoError, CryptoErrorCodes } from './errors.js';
export type { CryptoErrorCode } from './errors.js';
export { sha256, sha256Pair, tagBytes, taggedHash } from './hash.js';
export { Identity, loadIdentity, saveIdentity } from './identity.js';
export { IdCache } from './id-cache.js';
export { IdTable } from './id-table.js';
export { idAt, idFromBytes, idToBytes, isIdHex, shortId } from './ids.js';
export type { AnyId, BlockId, EventId, GenotypeId, PublicKey, RealmId } from './ids.js';
export {
  merkleProof,
  merkleRoot,
  merkleRootOfJoined,
  merkleSubtreeRoots,
  verifyMerkleProof,
} from './merkle.js';
export type { ProofStep } from './merkle.js';
export { nobleBackend } from './noble-backend.js';
export { nodeBackend } from './node-backend.js';
export type { SignatureBackend } from './signature-backend.js';
export { getDefaultBackend, signTagged, SigningDomains, verifyTagged } from './signing.js';
export type { SigningDomain } from './signing.js';
