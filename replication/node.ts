import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { decode, encode } from 'cborg';
import type { Identity, RealmId } from '../crypto/index.js';
import type { Ledger } from '../ledger/index.js';
import { DenyList } from './deny-list.js';
import { createHost } from './host.js';
import type { Host } from './host.js';
import { ReplicationError } from './errors.js';
import type { ReplicationEvents } from './events.js';
import { TypedEventTarget } from './events.js';
import type { ReplicationLimits } from './limits.js';
import { manifestDigest, readManifest } from './manifest.js';
import { SYNC_PROTOCOL } from './messages.js';
import { libp2pKeyOf } from './peer-key.js';
import { EventSetDigest } from './projection-hash.js';
import { realmCid, realmTopic } from './realm-cid.js';
import { createReplicator } from './replicator.js';
import type { Replicator } from './replicator.js';
import type { NodeStatus } from './status.js';
import { SettledProjectionHash } from './status-projection.js';
import type { ProjectionStamp, StatusProjection } from './status-projection.js';
import type { SessionOutcome } from './sync-session.js';
import { streamChannel } from './stream-channel.js';

/** What a node is built from. */
export interface NodeComponents {
  /** The node's key: its libp2p peer id and its ledger author key. */
  readonly identity: Identity;
  readonly ledger: Ledger;
}

/** Options of {@link createNode}. */
export interface NodeInit {
  /** Realms to replicate (discovered on the DHT, announced on gossip, synced). */
  readonly realms: readonly RealmId[];
  /** Listen multiaddrs; default `/ip4/127.0.0.1/tcp/0` (loopback only). */
  readonly listen?: readonly string[];
  /** Multiaddrs (with `/p2p/<id>`) dialled at start and redialled while disconnected. */
  readonly bootstrap?: readonly string[];
  readonly limits?: Partial<ReplicationLimits>;
  /** A file of denied peer ids, watched (see {@link DenyList}). */
  readonly denyFile?: string;
  /** Anti-entropy period: every connected peer is synced this often (ms). Default 2000. */
  readonly syncIntervalMs?: number;
  /** How often local heads are checked and announced when changed (ms). Default 300. */
  readonly announceIntervalMs?: number;
  /** How often lost peers are redialled (ms). Default 1000. */
  readonly redialIntervalMs?: number;
  /** DHT provide / find-providers period (ms). Default 10000. */
  readonly discoveryIntervalMs?: number;
  /**
   * The projection of `realms` whose hash the status reports (made once, at
   * the first status); default: an {@link EventSetDigest} of the replicated
   * realms. See {@link SettledProjectionHash} for when the hash is recomputed.
   */
  readonly projection?: (realms: readonly RealmId[]) => StatusProjection;
}

/** Progress of {@link EvoledgerNode.sync}: one finished session. */
export interface SyncProgress {
  readonly type: 'session';
  readonly peer: string;
  readonly realm: RealmId;
  readonly outcome: SessionOutcome;
}

interface Announcement {
  realm: RealmId;
  digest: string;
}

const MAX_KNOWN_PEERS = 64;

/** Extra dial rounds shortly after start (ms), besides the one at start and the periodic ones. */
const EARLY_REDIALS_MS = [100, 250, 500];

/**
 * A replication node: libp2p over TCP (noise, yamux, identify, ping,
 * kad-dht, gossipsub) plus our sync protocol. It finds peers of its realms
 * through DHT provider records, announces new heads on each realm's gossip
 * topic, and runs a sync session with a peer when it connects, when the
 * peer announces heads that differ from ours, and periodically.
 */
export class EvoledgerNode extends TypedEventTarget<ReplicationEvents> {
  readonly replicator: Replicator;
  readonly #components: NodeComponents;
  readonly #init: NodeInit;
  readonly #deny: DenyList;
  readonly #realms: Set<RealmId>;
  #libp2p: Host | undefined;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #syncing = new Map<string, { again: boolean }>();
  /** Sessions peers are running with us, by peer. */
  readonly #inbound = new Map<string, number>();
  readonly #known = new Map<string, string[]>();
  /** Bootstrap addresses given without `/p2p/<id>`: dialled until a connection to them is open. */
  readonly #anonymous: string[] = [];
  readonly #digests = new Map<RealmId, string>();
  readonly #abort = new AbortController();
  #projection: SettledProjectionHash | undefined;

  constructor(components: NodeComponents, init: NodeInit) {
    super();
    if (init.realms.length === 0)
      throw new ReplicationError('BAD_CONFIG', 'a node replicates at least one realm');
    this.#components = components;
    this.#init = init;
    this.#realms = new Set(init.realms);
    this.#deny = new DenyList(init.denyFile);
    this.replicator = createReplicator(
      { ledger: components.ledger },
      { ...(init.limits ? { limits: init.limits } : {}), realms: () => this.#realms },
    );
    for (const name of [
      'blocks:accepted',
      'block:rejected',
      'fork:evidence',
      'session:end',
    ] as const) {
      this.replicator.addEventListener(name, (e) => {
        this.dispatchEvent(new CustomEvent(name, { detail: (e as CustomEvent<unknown>).detail }));
      });
    }
  }

  get #node(): Host {
    if (this.#libp2p === undefined)
      throw new ReplicationError('NOT_STARTED', 'the node is not running');
    return this.#libp2p;
  }

  /** The node's peer id (derived from its identity). */
  get peerId(): string {
    return this.#node.peerId.toString();
  }

  /** Addresses the node listens on, with `/p2p/<peer id>`. */
  addrs(): string[] {
    return this.#node.getMultiaddrs().map(String);
  }

  /** Connected peers. */
  peers(): string[] {
    return this.#node.getPeers().map(String).sort();
  }

  /** Starts listening, dials bootstrap peers, and begins announcing and syncing. */
  async start(): Promise<void> {
    await this.#deny.reload();
    const deny = this.#deny;
    const privateKey = await libp2pKeyOf(this.#components.identity);
    const node = await createHost({
      privateKey,
      listen: this.#init.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      refuse: (peer) => deny.has(peer),
    });
    this.#libp2p = node;
    await node.handle(
      SYNC_PROTOCOL,
      (stream: Stream, connection: Connection) => this.#answer(stream, connection),
      {
        maxInboundStreams: 8,
        maxOutboundStreams: 8,
      },
    );
    node.addEventListener('peer:connect', (e) => {
      const peer = e.detail.toString();
      this.emit('peer:connect', { peer });
      this.#remember(peer);
      // Give identify a moment, then catch up with the new peer (one side initiates: sessions go both ways).
      const t = setTimeout(() => this.#syncPeer(peer, undefined, true), 100);
      t.unref();
    });
    node.addEventListener('peer:disconnect', (e) =>
      this.emit('peer:disconnect', { peer: e.detail.toString() }),
    );
    node.services.pubsub.addEventListener('message', (e) =>
      this.#onAnnouncement(e.detail.topic, e.detail.data, e.detail),
    );
    for (const realm of this.#realms) node.services.pubsub.subscribe(realmTopic(realm));

    this.#deny.watch((denied) => {
      for (const conn of node.getConnections()) {
        if (denied.has(conn.remotePeer.toString()))
          void conn.close().catch(() => conn.abort(new Error('denied')));
      }
    });
    for (const addr of this.#init.bootstrap ?? []) {
      let ma;
      try {
        ma = multiaddr(addr);
      } catch (err) {
        throw new ReplicationError(
          'BAD_CONFIG',
          `bad bootstrap address ${addr}: ${(err as Error).message}`,
        );
      }
      const peer = ma.getComponents().find((c) => c.name === 'p2p')?.value;
      if (peer !== undefined) this.#known.set(peer, [addr]);
      else this.#anonymous.push(addr);
    }
    const redial = this.#every(this.#init.redialIntervalMs ?? 1000, () => this.#redial(), true);
    // A bootstrap peer started at the same time may not listen yet: try again soon, not a period later.
    for (const ms of EARLY_REDIALS_MS) setTimeout(redial, ms).unref();
    this.#every(this.#init.announceIntervalMs ?? 300, () => this.#announceIfChanged(), true);
    this.#every(this.#init.syncIntervalMs ?? 2000, () => {
      for (const peer of this.peers()) this.#syncPeer(peer, undefined, true);
    });
    this.#every(this.#init.discoveryIntervalMs ?? 10_000, () => this.#discover(), true);
  }

  /**
   * Runs `fn` every `ms` (never two runs at once: a slow dial round skips a
   * tick); returns the guarded run, for extra runs.
   */
  #every(ms: number, fn: () => void | Promise<void>, now = false): () => void {
    let busy = false;
    const run = () => {
      if (this.#abort.signal.aborted || busy) return;
      busy = true;
      void Promise.resolve()
        .then(fn)
        .catch(() => undefined)
        .finally(() => {
          busy = false;
        });
    };
    const t = setInterval(run, ms);
    t.unref();
    this.#timers.push(t);
    if (now) run();
    return run;
  }

  #remember(peer: string): void {
    const conn = this.#libp2p?.getConnections().find((c) => c.remotePeer.toString() === peer);
    if (conn === undefined || this.#known.size >= MAX_KNOWN_PEERS) return;
    // Inbound connections come from ephemeral ports: keep the addresses the peer announced instead.
    if (conn.direction === 'outbound') this.#known.set(peer, [conn.remoteAddr.toString()]);
    else if (!this.#known.has(peer)) this.#known.set(peer, []);
  }

  async #redial(): Promise<void> {
    const node = this.#node;
    const connected = new Set(this.peers());
    const remote = new Set(
      node.getConnections().map((c) => c.remoteAddr.toString().replace(/\/p2p\/.*$/, '')),
    );
    await Promise.all(
      this.#anonymous
        .filter((addr) => !remote.has(addr))
        .map((addr) =>
          node.dial(multiaddr(addr), { signal: AbortSignal.timeout(2000) }).catch(() => undefined),
        ),
    );
    await Promise.all(
      [...this.#known].map(async ([peer, addrs]) => {
        if (connected.has(peer) || this.#deny.has(peer) || peer === this.peerId) return;
        const stored = await node.peerStore
          .get(peerIdFromString(peer))
          .then((p) => p.addresses.map((a) => a.multiaddr.toString()))
          .catch(() => [] as string[]);
        const targets = [...addrs, ...stored].map((a) =>
          a.includes('/p2p/') ? a : `${a}/p2p/${peer}`,
        );
        for (const target of targets) {
          try {
            await node.dial(multiaddr(target), { signal: AbortSignal.timeout(2000) });
            return;
          } catch {
            // try the next address
          }
        }
      }),
    );
  }

  async #discover(): Promise<void> {
    const node = this.#node;
    if (node.getPeers().length === 0) return;
    for (const realm of this.#realms) {
      const cid = realmCid(realm);
      await node.contentRouting
        .provide(cid, { signal: AbortSignal.timeout(5000) })
        .catch(() => undefined);
      try {
        for await (const provider of node.contentRouting.findProviders(cid, {
          signal: AbortSignal.timeout(5000),
        })) {
          const peer = provider.id.toString();
          if (peer === this.peerId || this.#known.size >= MAX_KNOWN_PEERS) continue;
          if (!this.#known.has(peer)) this.#known.set(peer, provider.multiaddrs.map(String));
        }
      } catch {
        // no providers reachable yet
      }
    }
  }

  async #announceIfChanged(): Promise<void> {
    const node = this.#node;
    for (const realm of this.#realms) {
      const digest = manifestDigest(
        realm,
        await readManifest(this.#components.ledger.store, realm),
      );
      if (this.#digests.get(realm) === digest) continue;
      this.#digests.set(realm, digest);
      await node.services.pubsub
        .publish(realmTopic(realm), encode({ realm, digest }))
        .catch(() => undefined);
    }
  }

  #onAnnouncement(topic: string, data: Uint8Array, message: { type: string; from?: PeerId }): void {
    if (data.byteLength > this.replicator.limits.maxAnnounceBytes || message.from === undefined)
      return;
    let a: Announcement;
    try {
      a = decode(data) as Announcement;
    } catch {
      return;
    }
    if (typeof a?.realm !== 'string' || !this.#realms.has(a.realm) || topic !== realmTopic(a.realm))
      return;
    if (a.digest === this.#digests.get(a.realm)) return;
    const peer = message.from.toString();
    if (this.peers().includes(peer)) this.#syncPeer(peer, a.realm);
  }

  /**
   * Syncs every replicated realm (or one) with `peer`; coalesces requests
   * while a session runs. Routine syncs (`routine`) are initiated by the
   * side with the smaller peer id only: a session carries both directions.
   */
  #syncPeer(peer: string, only?: RealmId, routine = false): void {
    if (
      this.#abort.signal.aborted ||
      this.#deny.has(peer) ||
      this.replicator.guard.isPenalised(peer)
    )
      return;
    if (routine && this.peerId > peer) return;
    if (this.#inbound.has(peer)) {
      // The peer is syncing with us right now (a session carries both directions): look again after it.
      const t = setTimeout(() => this.#syncPeer(peer, only, routine), 300);
      t.unref();
      return;
    }
    for (const realm of only === undefined ? this.#realms : [only]) {
      const key = `${peer}|${realm}`;
      const running = this.#syncing.get(key);
      if (running !== undefined) {
        running.again = true;
        continue;
      }
      const state = { again: false };
      this.#syncing.set(key, state);
      void this.#syncLoop(peer, realm, state).finally(() => this.#syncing.delete(key));
    }
  }

  async #syncLoop(peer: string, realm: RealmId, state: { again: boolean }): Promise<void> {
    for (let i = 0; i < 100 && !this.#abort.signal.aborted; i++) {
      state.again = false;
      try {
        for await (const p of this.sync(peer, realm)) {
          if (p.outcome.declined !== undefined) return;
        }
      } catch {
        return; // the session:end event carries the failure
      }
      if (!state.again) return;
    }
  }

  /**
   * Syncs `realm` with a connected `peer`: runs sessions until neither side
   * has more differing documents, yielding each session's outcome. Throws
   * `NOT_STARTED` when the peer is not connected, `SYNC_STALLED` when a
   * session fails, `ABORTED` when `signal` fires.
   */
  async *sync(
    peer: string,
    realm: RealmId,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<SyncProgress, void, undefined> {
    const node = this.#node;
    const target = node.getPeers().find((p) => p.toString() === peer);
    if (target === undefined) throw new ReplicationError('NOT_STARTED', `not connected to ${peer}`);
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#abort.signal])
      : this.#abort.signal;
    for (let session = 0; session < 10_000; session++) {
      if (signal.aborted) throw new ReplicationError('ABORTED', 'sync aborted');
      const stream = await node.dialProtocol(target, SYNC_PROTOCOL, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
      });
      const channel = streamChannel(stream, this.replicator.limits.maxFrameBytes);
      const outcome = await this.replicator.initiate(channel, peer, realm, signal);
      if (outcome === undefined)
        throw new ReplicationError('SYNC_STALLED', `session with ${peer} failed`);
      yield { type: 'session', peer, realm, outcome };
      if (!outcome.more || outcome.declined !== undefined) return;
    }
  }

  #answer(stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString();
    const channel = streamChannel(stream, this.replicator.limits.maxFrameBytes);
    this.#inbound.set(peer, (this.#inbound.get(peer) ?? 0) + 1);
    void this.replicator
      .respond(channel, peer, this.#abort.signal)
      .catch(() => undefined)
      .finally(() => {
        const left = (this.#inbound.get(peer) ?? 1) - 1;
        if (left > 0) this.#inbound.set(peer, left);
        else this.#inbound.delete(peer);
      });
  }

  #projectionStamp(): Promise<ProjectionStamp> {
    this.#projection ??= new SettledProjectionHash(
      this.#init.projection !== undefined
        ? this.#init.projection([...this.#realms].sort())
        : new EventSetDigest(this.#components.ledger.store, this.#realms),
    );
    return this.#projection.next();
  }

  /** A snapshot of the node for `evoledger status`. */
  async status(): Promise<NodeStatus> {
    const store = this.#components.ledger.store;
    // The projection first: counts read after it are never behind it (`projectionBlocks <= blocks`).
    const projection = await this.#projectionStamp();
    const counts = await store.counts();
    const heads: NodeStatus['heads'][number][] = [];
    for (const realm of this.#realms) {
      for await (const h of store.heads(realm))
        heads.push({ realm, author: h.author, seq: h.seq, id: h.id, nextEvent: h.nextEvent });
    }
    const { rejected, ...sync } = this.replicator.stats;
    return {
      pid: process.pid,
      peerId: this.peerId,
      addrs: this.addrs(),
      realms: [...this.#realms],
      peers: this.peers(),
      blocks: counts.blocks,
      events: counts.events,
      heads,
      rejected: { ...rejected },
      evidence: await this.replicator.evidenceRecords(),
      projectionHash: projection.hash,
      projectionBlocks: projection.blocks,
      sync,
      penalised: this.replicator.guard.penalised(),
      updatedAt: new Date().toISOString(),
    };
  }

  /** Stops syncing, closes every connection and the listener. The ledger stays open (its owner closes it). */
  async stop(): Promise<void> {
    this.#abort.abort();
    for (const t of this.#timers) clearInterval(t);
    this.#deny.stop();
    await this.#libp2p?.stop();
  }
}

/** Creates a node (libp2p-style factory); call `start()` to run it. */
export function createNode(components: NodeComponents, init: NodeInit): EvoledgerNode {
  return new EvoledgerNode(components, init);
}
