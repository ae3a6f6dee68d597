import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as createDigest } from 'multiformats/hashes/digest';
import { idToBytes } from '../crypto/index.js';
import type { RealmId } from '../crypto/index.js';

/** sha2-256 multihash code: the realm id already is a 32-byte hash. */
const SHA2_256 = 0x12;

/** The DHT key of a realm: a CIDv1 (raw) whose digest is the realm id, so providers of a realm can be found. */
export function realmCid(realm: RealmId): CID {
  return CID.createV1(raw.code, createDigest(SHA2_256, idToBytes(realm)));
}

/** The gossipsub topic on which a realm's new heads are announced. */
export function realmTopic(realm: RealmId): string {
  return `evoledger/realm/${realm}/heads`;
}
