import type { RealmId } from '../crypto/index.js';
import { evidenceOf } from '../ledger/index.js';
import type { Ledger, SignedBlock } from '../ledger/index.js';
import { ReplicationError } from './errors.js';
import type { ReplicationEvents } from './events.js';
import { TypedEventTarget } from './events.js';
import { DocCache } from './doc-cache.js';
import { EvidenceLog } from './evidence.js';
import type { EvidenceRecord } from './evidence.js';
import { encodeMessage } from './messages.js';
import type { FrameChannel } from './frame-channel.js';
import { defaultLimits } from './limits.js';
import type { ReplicationLimits } from './limits.js';
import { PeerGuard } from './peer-guard.js';
import { initiateSession, respondSession } from './sync-session.js';
import type { SessionSink } from './ingest-queue.js';
import type { IngestBacklog, SessionOutcome } from './sync-session.js';

/** Default budget of the document cache: about 190 documents of 8 blocks of evaluations. */
const DEFAULT_DOC_CACHE_BYTES = 64 * 1024 * 1024;

/** What a {@link Replicator} needs from its host. */
export interface ReplicatorComponents {
  readonly ledger: Ledger;
}

/** Options of {@link createReplicator}. */
export interface ReplicatorInit {
  readonly limits?: Partial<ReplicationLimits>;
  /** Realms this replicator answers for (default: any realm the peer names). */
  readonly realms?: () => ReadonlySet<RealmId>;
  /** Clock of the rate limiter (tests inject one). */
  readonly now?: () => number;
  /** Bytes of built documents kept for later sessions (saved form); default 64 MiB, 0 turns it off. */
  readonly docCacheBytes?: number;
}

/** Counters a replicator keeps, for status. */
export interface ReplicatorStats {
  sessions: number;
  failedSessions: number;
  blocksAccepted: number;
  eventsAccepted: number;
  bytesSent: number;
  bytesReceived: number;
  /** Final refusals, by code, each block counted once. */
  rejected: Record<string, number>;
}

/**
 * The transport-independent half of replication: runs sync sessions over
 * frame channels against one ledger, counts what was accepted and refused,
 * rate-limits and penalises peers, and keeps fork evidence.
 */
export class Replicator extends TypedEventTarget<ReplicationEvents> {
  readonly ledger: Ledger;
  readonly limits: ReplicationLimits;
  readonly guard: PeerGuard;
  readonly evidence: EvidenceLog;
  /** Documents built for earlier sessions (a shortcut: the store stays the source). */
  readonly docCache: DocCache | undefined;
  readonly #realms: (() => ReadonlySet<RealmId>) | undefined;
  readonly #rejectedIds = new Set<string>();
  /** Validation still running in sessions whose exchange is over. */
  readonly #backlog = new Set<Promise<unknown>>();
  readonly #ingestBacklog: IngestBacklog = {
    settled: async () => {
      await Promise.allSettled([...this.#backlog]);
    },
    add: (work) => {
      const tracked = work.catch(() => undefined);
      this.#backlog.add(tracked);
      void tracked.finally(() => this.#backlog.delete(tracked));
    },
  };
  readonly stats: ReplicatorStats = {
    sessions: 0,
    failedSessions: 0,
    blocksAccepted: 0,
    eventsAccepted: 0,
    bytesSent: 0,
    bytesReceived: 0,
    rejected: {},
  };

  constructor(components: ReplicatorComponents, init: ReplicatorInit = {}) {
    super();
    this.ledger = components.ledger;
    this.limits = { ...defaultLimits, ...init.limits };
    this.guard = new PeerGuard(this.limits, init.now);
    this.evidence = new EvidenceLog(components.ledger.store);
    this.#realms = init.realms;
    const cacheBytes = init.docCacheBytes ?? DEFAULT_DOC_CACHE_BYTES;
    this.docCache = cacheBytes > 0 ? new DocCache(cacheBytes) : undefined;
  }

  /** What every session of this replicator shares. */
  #shared(peer: string, signal?: AbortSignal) {
    return {
      ledger: this.ledger,
      limits: this.limits,
      peer,
      sink: this.#sink(peer),
      backlog: this.#ingestBacklog,
      ...(this.docCache === undefined ? {} : { cache: this.docCache }),
      ...(signal ? { signal } : {}),
    };
  }

  #sink(peer: string): SessionSink {
    return {
      accepted: (realm: RealmId, blocks: readonly SignedBlock[]) => {
        const events = blocks.reduce((n, b) => n + b.header.count, 0);
        this.stats.blocksAccepted += blocks.length;
        this.stats.eventsAccepted += events;
        this.emit('blocks:accepted', { peer, realm, blocks: blocks.length, events });
      },
      rejected: (realm, r, offence) => {
        const key = `${r.block ?? 'undecodable'}:${r.code}`;
        if (r.block === null || !this.#rejectedIds.has(key)) {
          if (this.#rejectedIds.size > 100_000) this.#rejectedIds.clear();
          this.#rejectedIds.add(key);
          this.stats.rejected[r.code] = (this.stats.rejected[r.code] ?? 0) + 1;
        }
        if (offence) this.guard.penalise(peer);
        this.emit('block:rejected', {
          peer,
          realm,
          block: r.block,
          ...(r.author === undefined ? {} : { author: r.author }),
          ...(r.seq === undefined ? {} : { seq: r.seq }),
          code: r.code,
          message: r.message,
        });
      },
      forks: async (forks) => {
        for (const { record, fork } of await this.evidence.add(forks)) {
          this.emit('fork:evidence', { ...record, body: evidenceOf(fork) });
        }
      },
    };
  }

  async #run(
    channel: FrameChannel,
    peer: string,
    role: 'initiator' | 'responder',
    body: () => Promise<SessionOutcome>,
  ): Promise<SessionOutcome | undefined> {
    this.stats.sessions++;
    let outcome: SessionOutcome | undefined;
    let error: { code: string; message: string } | undefined;
    try {
      outcome = await body();
      return outcome;
    } catch (err) {
      this.stats.failedSessions++;
      const code = err instanceof ReplicationError ? err.code : 'INTERNAL';
      error = { code, message: err instanceof Error ? err.message : String(err) };
      if (
        code === 'PROTOCOL_VIOLATION' ||
        code === 'DOC_TOO_LARGE' ||
        code === 'FRAME_TOO_LARGE' ||
        code === 'RATE_LIMITED'
      ) {
        this.guard.penalise(peer);
      }
      if (code === 'INTERNAL') throw err;
      return undefined;
    } finally {
      this.stats.bytesSent += channel.bytes.sent;
      this.stats.bytesReceived += channel.bytes.received;
      await channel.close().catch(() => undefined);
      this.emit('session:end', {
        peer,
        realm: outcome?.realm ?? null,
        role,
        docs: outcome?.docs ?? 0,
        accepted: outcome?.accepted ?? 0,
        rejected: outcome?.rejected ?? 0,
        bytesSent: channel.bytes.sent,
        bytesReceived: channel.bytes.received,
        more: outcome?.more ?? false,
        ...(error === undefined ? {} : { error }),
      });
    }
  }

  /**
   * Syncs `realm` with the peer at the other end of `channel`, as initiator.
   * Resolves to the outcome, or `undefined` when the session failed (the
   * failure is in the `session:end` event); never rejects for peer faults.
   */
  initiate(
    channel: FrameChannel,
    peer: string,
    realm: RealmId,
    signal?: AbortSignal,
  ): Promise<SessionOutcome | undefined> {
    const ctx = this.#shared(peer, signal);
    return this.#run(channel, peer, 'initiator', () => initiateSession(channel, ctx, realm));
  }

  /** Answers a session the peer opened on `channel` (declines when the peer is over its budget). */
  respond(
    channel: FrameChannel,
    peer: string,
    signal?: AbortSignal,
  ): Promise<SessionOutcome | undefined> {
    if (!this.guard.allowSession(peer)) {
      return this.#run(channel, peer, 'responder', async () => {
        await channel.send(encodeMessage({ type: 'end', code: 'RATE_LIMITED' }));
        return {
          realm: null,
          docs: 0,
          peakDocs: 0,
          accepted: 0,
          rejected: 0,
          more: false,
          declined: 'RATE_LIMITED',
        };
      });
    }
    const realms = this.#realms;
    const ctx = {
      ...this.#shared(peer, signal),
      ...(realms ? { acceptRealm: (r: RealmId) => realms().has(r) } : {}),
    };
    return this.#run(channel, peer, 'responder', () => respondSession(channel, ctx));
  }

  /** Fork evidence recorded so far. */
  evidenceRecords(): Promise<readonly EvidenceRecord[]> {
    return this.evidence.list();
  }
}

/** Creates a {@link Replicator} (libp2p-style factory). */
export function createReplicator(
  components: ReplicatorComponents,
  init: ReplicatorInit = {},
): Replicator {
  return new Replicator(components, init);
}
