import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import type { Identity, PublicKey } from '../crypto/index.js';
import { toHex } from '../crypto/index.js';
import { peerIdFromString } from '@libp2p/peer-id';

/**
 * The libp2p private key of an identity: the same Ed25519 seed, so the
 * node's peer id and its ledger author key are one key.
 */
export function libp2pKeyOf(identity: Identity): Promise<Ed25519PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', identity.exportSecret());
}

/** The author key behind a peer id string (`undefined` for non-Ed25519 peer ids). */
export function authorOfPeer(peerId: string): PublicKey | undefined {
  const id = peerIdFromString(peerId);
  return id.type === 'Ed25519' ? (toHex(id.publicKey.raw) as PublicKey) : undefined;
}
