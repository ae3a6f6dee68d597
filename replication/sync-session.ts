import * as Automerge from '@automerge/automerge';
import type { RealmId } from '../crypto/index.js';
import type { Ledger } from '../ledger/index.js';
import type { DocCache } from './doc-cache.js';
import type { DocKey } from './doc-key.js';
import { ReplicationError } from './errors.js';
import type { FrameChannel } from './frame-channel.js';
import { IngestQueue } from './ingest-queue.js';
import type { SessionSink } from './ingest-queue.js';
import { BLOCKS_PER_DOC } from './limits.js';
import type { ReplicationLimits } from './limits.js';
import { docsToSync, readManifest } from './manifest.js';
import type { ChainSummary, Manifest } from './manifest.js';
import { SessionDocs } from './session-docs.js';
import { decodeMessage, encodeMessage, isEnd, isHello, isSync } from './messages.js';
import type { SyncMessage, WireMessage } from './messages.js';

/** Sync messages are packed into frames of about this many bytes (a larger message goes alone). */
const PACK_BYTES = 256 * 1024;

/**
 * Validation still running in sessions whose exchange is over. A session
 * reads its manifest only once it has settled: blocks another session
 * received but has not stored yet would otherwise be asked for again.
 */
export interface IngestBacklog {
  settled(): Promise<void>;
  add(work: Promise<unknown>): void;
}

/** What a session needs. */
export interface SessionContext {
  readonly ledger: Ledger;
  readonly limits: ReplicationLimits;
  readonly peer: string;
  readonly sink: SessionSink;
  /** Responders: whether we replicate this realm. */
  readonly acceptRealm?: (realm: RealmId) => boolean;
  /** Documents built in earlier sessions (a shortcut; the store stays the source). */
  readonly cache?: DocCache;
  readonly backlog?: IngestBacklog;
  readonly signal?: AbortSignal;
}

/** What a session did. */
export interface SessionOutcome {
  readonly realm: RealmId | null;
  readonly docs: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Either side had more differing documents than one session carries: run another. */
  readonly more: boolean;
  /** The responder declined, with this code. */
  readonly declined?: string;
}

/**
 * One sync session over a frame channel, lockstep: the initiator sends, the
 * responder answers, until a round in which neither side has anything to
 * say. Each side opens the documents its manifest comparison names (and any
 * document the peer names), runs Automerge's sync protocol on each, and
 * passes every block it did not hold through `ledger.ingest` before it is
 * stored.
 *
 * The exchange and validation overlap: received blocks go to an
 * {@link IngestQueue}, which the ledger works through while the exchange
 * goes on; reading stops while `maxQueuedBlocks` blocks wait, so memory
 * stays bounded and the sender is slowed to the ledger's pace.
 */
class Session {
  readonly #ctx: SessionContext;
  readonly #channel: FrameChannel;
  /** The documents of the session (once both manifests are known). */
  #docSet: SessionDocs | undefined;
  #realm: RealmId | null = null;
  /** The blocks received, on their way through the ledger (once the realm is known). */
  #queue: IngestQueue | undefined;
  #newEntries = 0;
  #frames = 0;
  #moreHere = false;
  #moreThere = false;
  readonly #deadline: number;

  constructor(channel: FrameChannel, ctx: SessionContext) {
    this.#channel = channel;
    this.#ctx = ctx;
    this.#deadline = performance.now() + ctx.limits.sessionTimeoutMs;
  }

  get #realmId(): RealmId {
    if (this.#realm === null) throw new ReplicationError('PROTOCOL_VIOLATION', 'no realm yet');
    return this.#realm;
  }

  get #docs(): SessionDocs {
    if (this.#docSet === undefined)
      throw new ReplicationError('PROTOCOL_VIOLATION', 'no hello yet');
    return this.#docSet;
  }

  get #ingest(): IngestQueue {
    if (this.#queue === undefined) throw new ReplicationError('PROTOCOL_VIOLATION', 'no realm yet');
    return this.#queue;
  }

  /** Sets the session's realm (from our call, or the peer's hello). */
  #setRealm(realm: RealmId): void {
    this.#realm = realm;
    this.#queue = new IngestQueue({
      ledger: this.#ctx.ledger,
      realm,
      limits: this.#ctx.limits,
      sink: this.#ctx.sink,
      truncated: () => this.#moreHere || this.#moreThere,
    });
  }

  async #send(m: WireMessage): Promise<void> {
    await this.#channel.send(encodeMessage(m));
  }

  async #receive(): Promise<WireMessage> {
    if (
      ++this.#frames > this.#ctx.limits.maxFramesPerSession ||
      performance.now() > this.#deadline
    ) {
      throw new ReplicationError(
        'SYNC_STALLED',
        `session with ${this.#ctx.peer} exceeded its frame or time budget`,
      );
    }
    const frame = await this.#channel.receive(this.#ctx.signal);
    return decodeMessage(frame);
  }

  /** Our manifest, once blocks other sessions received are stored (else we would ask for them again). */
  async #manifest(): Promise<ChainSummary[]> {
    await this.#ctx.backlog?.settled();
    return readManifest(this.#ctx.ledger.store, this.#realmId);
  }

  /** Lists every document that differs between our manifest and the peer's. */
  async #hello(remote: WireMessage, local: Manifest): Promise<void> {
    if (!isHello(remote) || remote.realm !== this.#realm) {
      throw new ReplicationError('PROTOCOL_VIOLATION', 'expected a hello for the session realm');
    }
    const store = this.#ctx.ledger.store;
    const realm = this.#realmId;
    this.#docSet = new SessionDocs({
      ledger: this.#ctx.ledger,
      realm,
      maxDocs: 2 * this.#ctx.limits.maxDocsPerSession,
      theirs: new Map(remote.manifest.map((c) => [c.author, c])),
      ...(this.#ctx.cache === undefined ? {} : { cache: this.#ctx.cache }),
    });
    const keys = await docsToSync(local, remote.manifest, async (author, seq) => {
      return (await store.getBlockAt(realm, author, seq))?.id;
    });
    const max = this.#ctx.limits.maxDocsPerSession;
    this.#moreHere = keys.length > max;
    // Documents are made lazily, when first needed: making one while the peer ingests
    // the previous one pipelines the two processes.
    this.#docs.wanted.push(...keys.slice(0, max));
  }

  /**
   * Sends our turn: one Automerge sync message per document that has
   * something to say, packed into frames of about {@link PACK_BYTES} and sent
   * as soon as they are full, then a frame marked `done`. With `endIfQuiet`,
   * a turn with nothing to say is an `end` instead. Returns how many
   * documents spoke.
   */
  async #sendTurn(endIfQuiet: boolean): Promise<number> {
    // The peer is idle until our documents arrive: no ledger call starts meanwhile.
    return this.#ingest.paused(() => this.#sendDocs(endIfQuiet));
  }

  /** The messages of our turn, frame by frame (see `#sendTurn`). */
  async #sendDocs(endIfQuiet: boolean): Promise<number> {
    let pack: [DocKey, Uint8Array][] = [];
    let packBytes = 0;
    let spoke = 0;
    for (const key of [...this.#docs.wanted]) {
      const st = await this.#docs.open(key);
      if (st === undefined) continue;
      const [sync, message] = Automerge.generateSyncMessage(st.doc, st.sync);
      st.sync = sync;
      if (message === null) continue;
      this.#docs.remember(key, st, message);
      spoke++;
      pack.push([key, message]);
      packBytes += message.byteLength;
      if (packBytes >= PACK_BYTES) {
        await this.#send({ type: 'sync', docs: pack, more: this.#moreHere, done: false });
        pack = [];
        packBytes = 0;
      }
    }
    if (spoke === 0 && endIfQuiet) await this.#send({ type: 'end' });
    else await this.#send({ type: 'sync', docs: pack, more: this.#moreHere, done: true });
    return spoke;
  }

  /** Receives and applies the peer's turn; returns how many documents spoke, or `end`. */
  async #receiveTurn(): Promise<number | 'end'> {
    let spoke = 0;
    for (let first = true; ; first = false) {
      await this.#ingest.room();
      const m = await this.#receive();
      if (isEnd(m) && first) return 'end';
      if (!isSync(m)) throw new ReplicationError('PROTOCOL_VIOLATION', 'expected a sync message');
      spoke += m.docs.length;
      await this.#apply(m);
      if (m.done) return spoke;
    }
  }

  /**
   * Applies the peer's sync messages, decodes the blocks we had not seen and
   * queues them for the ledger (lowest buckets first, as they come).
   */
  async #apply(m: SyncMessage): Promise<void> {
    if (m.more) this.#moreThere = true;
    for (const [key, message] of m.docs) {
      if (this.#docs.defer(key, message)) continue;
      const st = await this.#docs.open(key);
      if (st === undefined) continue;
      const patches = this.#docs.receive(key, st, message);
      if (patches === undefined) continue;
      // Patches hand the new values over as Uint8Array views; getConflicts copies, so it is kept for forks.
      for (const patch of patches) {
        const k = patch.path[0];
        // A fork shows as `put` with `conflict`, or as a bare `conflict` when the old value still wins.
        if (
          patch.path.length !== 1 ||
          typeof k !== 'string' ||
          (patch.action !== 'put' && patch.action !== 'conflict')
        ) {
          throw new ReplicationError(
            'PROTOCOL_VIOLATION',
            `document ${key} holds something that is not a block`,
          );
        }
        const seq = Number(k);
        if (!/^(0|[1-9][0-9]*)$/.test(k) || seq < st.first || seq >= st.first + BLOCKS_PER_DOC) {
          throw new ReplicationError(
            'PROTOCOL_VIOLATION',
            `document ${key} holds key ${k} outside its bucket`,
          );
        }
        const conflict = patch.action === 'conflict' || patch.conflict === true;
        const values: unknown[] = !conflict
          ? [patch.value]
          : Object.values(Automerge.getConflicts(st.doc, k) ?? { only: st.doc[k] });
        for (const value of values) {
          if (!(value instanceof Uint8Array)) {
            throw new ReplicationError(
              'PROTOCOL_VIOLATION',
              `document ${key} holds a value that is not bytes`,
            );
          }
          if (await this.#docs.known(st, seq, value, conflict)) continue;
          st.received += value.byteLength;
          if (st.received > this.#ctx.limits.maxDocBytes) {
            throw new ReplicationError(
              'DOC_TOO_LARGE',
              `document ${key} from ${this.#ctx.peer} exceeds ${this.#ctx.limits.maxDocBytes} bytes`,
            );
          }
          if (++this.#newEntries > this.#ctx.limits.maxBlocksPerSession) {
            throw new ReplicationError(
              'RATE_LIMITED',
              `${this.#ctx.peer} sent more than ${this.#ctx.limits.maxBlocksPerSession} blocks in one session`,
            );
          }
          this.#ingest.push(value);
        }
      }
    }
  }

  #outcome(declined?: string): SessionOutcome {
    return {
      realm: this.#realm,
      docs: this.#docSet?.size ?? 0,
      accepted: this.#queue?.accepted ?? 0,
      rejected: this.#queue?.rejected ?? 0,
      more: this.#moreHere || this.#moreThere,
      ...(declined === undefined ? {} : { declined }),
    };
  }

  async #free(): Promise<void> {
    this.#docSet?.free();
    // A failed session still finishes validating what it already received.
    await this.#queue?.drain();
  }

  /**
   * The end of a session, either role, once the exchange is over: the last
   * validations and retries (announced to the backlog, so that the next
   * session waits for them before reading its manifest), the outcome.
   */
  async #finish(): Promise<SessionOutcome> {
    const work = this.#ingest.finish();
    this.#ctx.backlog?.add(work);
    await work;
    return this.#outcome();
  }

  async initiate(realm: RealmId): Promise<SessionOutcome> {
    this.#setRealm(realm);
    try {
      const local = await this.#manifest();
      await this.#send({ type: 'hello', realm, manifest: local });
      const reply = await this.#receive();
      if (isEnd(reply)) return this.#outcome(reply.code ?? 'DECLINED');
      await this.#hello(reply, local);
      let theirsQuiet = false;
      for (;;) {
        const spoke = await this.#sendTurn(theirsQuiet);
        if (spoke === 0 && theirsQuiet) break;
        const answer = await this.#receiveTurn();
        if (answer === 'end') break;
        theirsQuiet = answer === 0;
      }
      return await this.#finish();
    } finally {
      await this.#free();
    }
  }

  async respond(): Promise<SessionOutcome> {
    try {
      const hello = await this.#receive();
      if (!isHello(hello))
        throw new ReplicationError('PROTOCOL_VIOLATION', 'a session starts with hello');
      this.#setRealm(hello.realm);
      if (this.#ctx.acceptRealm !== undefined && !this.#ctx.acceptRealm(hello.realm)) {
        await this.#send({ type: 'end', code: 'UNKNOWN_REALM' });
        return this.#outcome('UNKNOWN_REALM');
      }
      const local = await this.#manifest();
      await this.#send({ type: 'hello', realm: hello.realm, manifest: local });
      await this.#hello(hello, local);
      while ((await this.#receiveTurn()) !== 'end') await this.#sendTurn(false);
      return await this.#finish();
    } finally {
      await this.#free();
    }
  }
}

/** Runs the initiating side of a sync session for `realm`. */
export function initiateSession(
  channel: FrameChannel,
  ctx: SessionContext,
  realm: RealmId,
): Promise<SessionOutcome> {
  return new Session(channel, ctx).initiate(realm);
}

/** Runs the responding side of a sync session (the realm comes from the peer's hello). */
export function respondSession(
  channel: FrameChannel,
  ctx: SessionContext,
): Promise<SessionOutcome> {
  return new Session(channel, ctx).respond();
}
