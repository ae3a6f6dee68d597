import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { describe, expect, it } from 'vitest';
import { authorOfPeer, libp2pKeyOf } from './peer-key.js';
import { testIdentity } from './test-kit.js';

describe('one key for peer id and author', () => {
  it('derives the libp2p key from the identity seed', async () => {
    const identity = testIdentity(5);
    const key = await libp2pKeyOf(identity);
    expect(Buffer.from(key.publicKey.raw).toString('hex')).toBe(identity.publicKey);
    expect(authorOfPeer(peerIdFromPrivateKey(key).toString())).toBe(identity.publicKey);
  });
});
