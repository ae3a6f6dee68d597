import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub } from '@libp2p/gossipsub';
import type { GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import type { Libp2p } from 'libp2p';

/** The libp2p node under an evoledger node: its services, typed. */
export type Host = Libp2p<{ pubsub: GossipSub }>;

/** Options of {@link createHost}. */
export interface HostInit {
  readonly privateKey: PrivateKey;
  readonly listen: readonly string[];
  /** Peers refused at dial and at the handshake, whichever side starts. */
  readonly refuse: (peer: string) => boolean;
}

/**
 * libp2p 3 over TCP with noise, yamux, identify, ping (kad-dht needs it),
 * kad-dht in server mode on our own protocol id, and gossipsub. Loopback and
 * private addresses are kept (a pass-through address mapper): consortium
 * nodes often share a LAN, and the tests run on 127.0.0.1.
 */
export function createHost(init: HostInit): Promise<Host> {
  const refuse = (peer: PeerId) => init.refuse(peer.toString());
  return createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: [...init.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialPeer: refuse,
      denyInboundEncryptedConnection: refuse,
      denyOutboundEncryptedConnection: refuse,
      denyDialMultiaddr: () => false,
    },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: '/evoledger/kad/1.0.0',
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        allowQueryWithZeroPeers: true,
      }),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        ignoreDuplicatePublishError: true,
      }),
    },
  });
}
