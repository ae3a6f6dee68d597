import type { RealmId } from '../crypto/index.js';
import type { Ledger } from '../ledger/index.js';
import type { DocCache } from './doc-cache.js';
import { parseDocKey } from './doc-key.js';
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
import { decodeMessage, encodeMessage, isEnd, isHello, isIdle, isSync } from './messages.js';
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
  /** Most documents held in Automerge at once (each is freed once in sync). */
  readonly peakDocs: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Either side had more differing documents than one session carries: run another. */
  readonly more: boolean;
  /** The responder declined, with this code. */
  readonly declined?: string;
}

/** Counts of an {@link IdleMessage}: sync frames sent, and received and applied. */
interface Counts {
  readonly sent: number;
  readonly received: number;
}

/**
 * One sync session over a frame channel, full duplex: after the hellos,
 * each side sends its sync messages while it reads and applies the peer's,
 * and the two processes work at once. Each side opens the documents its
 * manifest comparison names (and any document the peer names), runs
 * Automerge's sync protocol on each, and passes every block it did not hold
 * through `ledger.ingest` before it is stored.
 *
 * Each side runs two loops. The sender goes once through the session's
 * documents (those both sides hold part of first: they need round trips),
 * answering before anything else every document the peer's messages spoke
 * of, packs the messages into frames and awaits the transport for each
 * (a peer that does not read stops us; we never buffer more than a frame).
 * The reader applies each frame as it arrives. When the sender has nothing
 * to say it sends `idle` with its counts of sync frames sent and applied;
 * the exchange is over when each side's last `idle` matches the other's
 * counts (nothing in flight, neither has anything to say), and each side
 * then sends `end` and reads the peer's.
 *
 * The exchange and validation overlap: received blocks go to an
 * {@link IngestQueue}, which the ledger works through while the exchange
 * goes on; the reader stops while `maxQueuedBlocks` blocks wait, so memory
 * stays bounded and the sender is slowed to the ledger's pace. The ledger
 * never waits for the exchange, so a reader that stopped always reads
 * again (two peers sending at once cannot deadlock).
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
  /** Our documents, in the order of the sender's first pass. */
  #firstPass: DocKey[] = [];
  /** Documents the peer's messages spoke of since the sender last looked at them. */
  readonly #replies = new Set<DocKey>();
  /** Sync frames sent; sync frames received and applied. */
  #sent = 0;
  #received = 0;
  /** The counts of our last `idle`, and of the peer's. */
  #ourIdle: Counts | undefined;
  #peerIdle: Counts | undefined;
  /** Wakes the idle sender (the reader applied a frame, or read the peer's `idle`). */
  #wake: (() => void) | undefined;
  /** Either loop failed: the other stops at its next step. */
  #failed = false;

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
    const picked = keys.slice(0, max);
    // A document both sides hold part of needs round trips (neither knows what the other
    // lacks): it goes first, so that its blocks do not arrive last, after their successors.
    const ours = new Map(local.map((c) => [c.author, c.seq]));
    const theirs = new Map(remote.manifest.map((c) => [c.author, c.seq]));
    const shared = (key: DocKey) => {
      const { author, bucket } = parseDocKey(key)!;
      const first = bucket * BLOCKS_PER_DOC;
      return (ours.get(author) ?? -1) >= first && (theirs.get(author) ?? -1) >= first;
    };
    // A document we hold nothing of needs no first message from us: the peer sees in our
    // manifest that we are empty and sends it whole at once; we make it when that arrives.
    const ourOnly = (key: DocKey) => {
      const { author, bucket } = parseDocKey(key)!;
      return !shared(key) && (ours.get(author) ?? -1) >= bucket * BLOCKS_PER_DOC;
    };
    // Documents are made lazily, when the sender comes to them: making one while the peer
    // ingests the previous one pipelines the two processes.
    this.#firstPass = [...picked.filter(shared), ...picked.filter(ourOnly)];
  }

  /** Throws once the other loop failed (the session is being torn down). */
  #check(): void {
    if (this.#failed) throw new ReplicationError('ABORTED', 'the session failed');
  }

  /** Whether the exchange is over: we are idle, and both sides' last `idle` match each other's counts. */
  #over(): boolean {
    const ours = this.#ourIdle;
    const theirs = this.#peerIdle;
    return (
      ours !== undefined &&
      theirs !== undefined &&
      this.#replies.size === 0 &&
      ours.sent === this.#sent &&
      ours.received === this.#received &&
      theirs.sent === this.#received &&
      theirs.received === this.#sent
    );
  }

  /**
   * The sender: one sync message per document that has something to say
   * (the documents the peer spoke of first, then the first pass), packed
   * into frames of about {@link PACK_BYTES}; a frame holding an answer goes
   * as soon as no other answer is due. Idle, it sends `idle` when its
   * counts changed, `end` once the exchange is over, and otherwise waits
   * for the reader.
   */
  async #sendLoop(): Promise<void> {
    let pack: [DocKey, Uint8Array][] = [];
    let packBytes = 0;
    let answered = false;
    let next = 0;
    const flush = async () => {
      const docs = pack;
      pack = [];
      packBytes = 0;
      answered = false;
      // Counted once handed over: the peer may answer before the transport resolves.
      this.#sent++;
      await this.#send({ type: 'sync', docs, more: this.#moreHere });
      this.#check();
    };
    for (;;) {
      this.#check();
      let key: DocKey | undefined = this.#replies.values().next().value;
      const reply = key !== undefined;
      if (key !== undefined) {
        this.#replies.delete(key);
      } else if (answered) {
        await flush();
        continue;
      } else if (next < this.#firstPass.length) {
        key = this.#firstPass[next++]!;
      } else if (pack.length > 0) {
        await flush();
        continue;
      } else {
        const counts = { sent: this.#sent, received: this.#received };
        const ours = this.#ourIdle;
        if (ours?.sent !== counts.sent || ours.received !== counts.received) {
          // Recorded first: the peer's `end` may come before the transport resolves.
          this.#ourIdle = counts;
          await this.#send({ type: 'idle', ...counts, more: this.#moreHere });
          continue;
        }
        if (this.#over()) {
          await this.#send({ type: 'end' });
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      const message = await this.#docs.turn(key);
      this.#check();
      if (message === undefined) continue;
      pack.push([key, message]);
      packBytes += message.byteLength;
      answered ||= reply;
      if (packBytes >= PACK_BYTES) await flush();
    }
  }

  /**
   * The reader: applies the peer's frames as they come, while the ledger
   * has room for their blocks, until the peer's `end`.
   */
  async #readLoop(): Promise<void> {
    for (;;) {
      await this.#ingest.room();
      this.#check();
      const m = await this.#receive();
      this.#check();
      if (isEnd(m)) {
        if (!this.#over()) {
          throw new ReplicationError('PROTOCOL_VIOLATION', 'the peer ended an unfinished exchange');
        }
        return;
      }
      if (isIdle(m)) {
        if (m.more) this.#moreThere = true;
        this.#peerIdle = { sent: m.sent, received: m.received };
      } else if (isSync(m)) {
        await this.#apply(m);
        this.#received++;
      } else {
        throw new ReplicationError('PROTOCOL_VIOLATION', 'expected a sync message');
      }
      this.#wake?.();
    }
  }

  /** Runs the sender and the reader at once, until the exchange is over or either fails. */
  async #exchange(): Promise<void> {
    const send = this.#sendLoop();
    const read = this.#readLoop();
    try {
      await Promise.all([send, read]);
    } catch (err) {
      // The other loop may wait on the transport: it stops at its next step.
      this.#failed = true;
      this.#wake?.();
      send.catch(() => undefined);
      read.catch(() => undefined);
      throw err;
    }
  }

  /**
   * Applies the peer's sync messages, decodes the blocks we had not seen and
   * queues them for the ledger (lowest buckets first, as they come).
   */
  async #apply(m: SyncMessage): Promise<void> {
    if (m.more) this.#moreThere = true;
    for (const [key, message] of m.docs) {
      if (this.#docs.emptyPeerOpening(key, message)) continue;
      // An acknowledgement of a settled document: nothing to apply, nothing to answer.
      if (this.#docs.absorbs(key, message)) continue;
      // To be answered, once it is one of the session's documents (at most `maxDocs` are).
      if (this.#docs.defer(key, message)) {
        this.#replies.add(key);
        continue;
      }
      const st = await this.#docs.toApply(key, message);
      this.#check();
      if (st === 'absorbed' || st === undefined) continue;
      this.#replies.add(key);
      const blocks = this.#docs.receive(key, st, message);
      if (blocks === undefined) continue;
      for (const { seq, bytes, conflict } of blocks) {
        const known = await this.#docs.known(st, seq, bytes, conflict);
        this.#check();
        if (known) continue;
        st.received += bytes.byteLength;
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
        this.#ingest.push(bytes);
      }
    }
  }

  #outcome(declined?: string): SessionOutcome {
    return {
      realm: this.#realm,
      docs: this.#docSet?.size ?? 0,
      peakDocs: this.#docSet?.peak ?? 0,
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
      await this.#exchange();
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
      await this.#exchange();
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
