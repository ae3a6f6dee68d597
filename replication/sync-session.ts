import * as Automerge from '@automerge/automerge';
import { bytesEqual, concatBytes } from '../crypto/index.js';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import { decodeBlock, LedgerError } from '../ledger/index.js';
import type { ForkEvidence, Ledger, Rejection, SignedBlock } from '../ledger/index.js';
import { buildBlockDoc } from './block-doc.js';
import type { BlockDoc } from './block-doc.js';
import type { DocCache, DocSource } from './doc-cache.js';
import { parseDocKey } from './doc-key.js';
import type { DocKey } from './doc-key.js';
import { ReplicationError } from './errors.js';
import type { FrameChannel } from './frame-channel.js';
import { BLOCKS_PER_DOC } from './limits.js';
import type { ReplicationLimits } from './limits.js';
import { docsToSync, readManifest } from './manifest.js';
import type { ChainSummary, Manifest } from './manifest.js';
import { decodeMessage, encodeMessage, isEnd, isHello, isSync } from './messages.js';
import type { SyncMessage, WireMessage } from './messages.js';

/** Sync messages are packed into frames of about this many bytes (a larger message goes alone). */
const PACK_BYTES = 256 * 1024;

/** Where a session reports what it admitted and refused. */
export interface SessionSink {
  accepted(realm: RealmId, blocks: readonly SignedBlock[]): void;
  /** A final refusal; `offence` when the peer should be penalised for it. */
  rejected(realm: RealmId, rejection: Rejection, offence: boolean): void;
  forks(forks: readonly ForkEvidence[]): Promise<void>;
}

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

/** A block the ledger may admit once others arrive. */
interface Parked {
  readonly block: SignedBlock;
  /** It waits for its predecessor in its author's chain (not for a dependency, genesis or membership). */
  readonly gap: boolean;
  /** The round in which it was parked. */
  readonly since: number;
}

interface DocState {
  doc: BlockDoc;
  sync: Automerge.SyncState;
  readonly author: PublicKey;
  readonly first: number;
  /** What the store held of the bucket when the document was made (undefined: nothing). */
  readonly source: DocSource | undefined;
  readonly fromCache: boolean;
  /** The peer's manifest shows it holds nothing of this bucket. */
  readonly peerEmpty: boolean;
  /** As made from the store, and nothing generated yet: its first message carries all of it. */
  fresh: boolean;
  /** Values the peer sent, by seq, so that each goes to the ledger once. */
  readonly got: Map<number, Uint8Array[]>;
  /** Bytes of those values. */
  received: number;
}

/**
 * Blocks handed to one `ledger.ingest` call at most: what piles up while the
 * ledger works goes in the next call, and a call is short enough that our
 * turn (which the peer waits for) need not wait long for it.
 */
const INGEST_BATCH = 16;

/**
 * The first sync message of a peer whose document is empty: Automerge's
 * own, computed once. Fed to a document whose peer holds nothing of it
 * (its manifest says so), it lets our first message carry the whole
 * document instead of waiting a round trip for the peer to say it is empty.
 */
const EMPTY_PEER_MESSAGE: Automerge.SyncMessage = (() => {
  const empty = Automerge.init();
  const [, message] = Automerge.generateSyncMessage(empty, Automerge.initSyncState());
  Automerge.free(empty);
  if (message === null) throw new Error('automerge produced no first sync message');
  return message;
})();

const sameHeads = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((h, i) => h === b[i]);

/**
 * One sync session over a frame channel, lockstep: the initiator sends, the
 * responder answers, until a round in which neither side has anything to
 * say. Each side opens the documents its manifest comparison names (and any
 * document the peer names), runs Automerge's sync protocol on each, and
 * passes every block it did not hold through `ledger.ingest` before it is
 * stored.
 *
 * The exchange and validation overlap: a received block is decoded at once
 * and queued; the ledger takes everything queued in one call while the
 * exchange goes on, and reading stops while `maxQueuedBlocks` blocks
 * wait, so memory stays bounded and the sender is slowed to the ledger's
 * pace.
 */
class Session {
  readonly #ctx: SessionContext;
  readonly #channel: FrameChannel;
  readonly #docs = new Map<DocKey, DocState>();
  /** Documents of this session, in the order they are synced (ours from the manifests, then the peer's). */
  readonly #wanted: DocKey[] = [];
  /** The peer's chain heads, by author. */
  readonly #theirs = new Map<PublicKey, ChainSummary>();
  /**
   * Peer messages without changes for documents not opened yet: applied
   * when the document is opened for our turn, so that a responder makes its
   * documents one by one as it sends them, instead of all of them before it
   * sends the first.
   */
  readonly #deferred = new Map<DocKey, Automerge.SyncMessage[]>();
  /** Decoded blocks waiting for the ledger, in arrival order. */
  #waiting: SignedBlock[] = [];
  /** The ledger call running now (undefined between calls). */
  #current: Promise<void> | undefined;
  #pumping: Promise<void> | undefined;
  /**
   * Set while we send a turn: the pump starts no ledger call meanwhile. The
   * peer is idle until our documents arrive, and validation can wait, so
   * the sender's work comes first.
   */
  #turn: Promise<void> | undefined;
  /** Blocks that may pass once others arrive, by id. */
  readonly #pending = new Map<string, Parked>();
  /** Ledger calls so far that admitted something. */
  #round = 0;
  /** The round in which each author's chain last grew. */
  readonly #grew = new Map<PublicKey, number>();
  #ingestError: Error | undefined;
  #realm: RealmId | null = null;
  #accepted = 0;
  #rejected = 0;
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
    for (const c of remote.manifest) this.#theirs.set(c.author, c);
    const keys = await docsToSync(local, remote.manifest, async (author, seq) => {
      return (await store.getBlockAt(realm, author, seq))?.id;
    });
    const max = this.#ctx.limits.maxDocsPerSession;
    this.#moreHere = keys.length > max;
    // Documents are made lazily, when first needed: making one while the peer ingests
    // the previous one pipelines the two processes.
    this.#wanted.push(...keys.slice(0, max));
  }

  /** What the store holds of the bucket from `first`: its last block (undefined: nothing). */
  async #lastHeld(
    author: PublicKey,
    first: number,
  ): Promise<{ lastSeq: number; lastId: BlockId } | undefined> {
    const store = this.#ctx.ledger.store;
    const head = await store.head(this.#realmId, author);
    if (head === undefined || head.seq < first) return undefined;
    const lastSeq = Math.min(head.seq, first + BLOCKS_PER_DOC - 1);
    if (lastSeq === head.seq) return { lastSeq, lastId: head.id };
    const last = await store.getBlockAt(this.#realmId, author, lastSeq);
    return last === undefined ? undefined : { lastSeq, lastId: last.id };
  }

  /** The cached document for `key` if it still is what the store holds; drops a bad entry. */
  #fromCache(key: DocKey, held: { lastSeq: number; lastId: BlockId }) {
    const cache = this.#ctx.cache;
    const entry = cache?.get(this.#realmId, key, held);
    if (cache === undefined || entry === undefined) return undefined;
    let doc: BlockDoc | undefined;
    try {
      doc = Automerge.load<Record<string, Uint8Array>>(entry.bytes);
    } catch {
      doc = undefined;
    }
    if (doc !== undefined && sameHeads(Automerge.getHeads(doc), entry.heads)) {
      return { doc, source: entry };
    }
    if (doc !== undefined) Automerge.free(doc);
    cache.discard(this.#realmId, key);
    return undefined;
  }

  async #open(key: DocKey): Promise<DocState | undefined> {
    const existing = this.#docs.get(key);
    if (existing !== undefined) return existing;
    if (!this.#hasRoom(key)) return undefined;
    const { author, bucket } = parseDocKey(key)!;
    const first = bucket * BLOCKS_PER_DOC;
    const held = await this.#lastHeld(author, first);
    let doc: BlockDoc;
    let source: DocSource | undefined;
    let fromCache = false;
    const cached = held === undefined ? undefined : this.#fromCache(key, held);
    if (cached !== undefined) {
      ({ doc, source } = cached);
      fromCache = true;
    } else if (held !== undefined) {
      const blocks: SignedBlock[] = [];
      for await (const b of this.#ctx.ledger.store.chain(this.#realmId, author, first)) {
        if (b.header.seq > held.lastSeq) break;
        blocks.push(b);
      }
      doc = buildBlockDoc(blocks);
      source = { ...held, heads: Automerge.getHeads(doc) };
    } else {
      doc = Automerge.init();
    }
    let sync = Automerge.initSyncState();
    const theirs = this.#theirs.get(author);
    const peerEmpty = theirs === undefined || theirs.seq < first;
    if (peerEmpty && source !== undefined) {
      [doc, sync] = Automerge.receiveSyncMessage(doc, sync, EMPTY_PEER_MESSAGE);
    }
    const state: DocState = {
      doc,
      sync,
      author,
      first,
      source,
      fromCache,
      peerEmpty,
      fresh: source !== undefined,
      got: new Map(),
      received: 0,
    };
    this.#docs.set(key, state);
    if (!this.#wanted.includes(key)) this.#wanted.push(key);
    for (const message of this.#deferred.get(key) ?? []) this.#receiveInto(key, state, message);
    this.#deferred.delete(key);
    return state;
  }

  /** Whether `key` is, or may become, one of the documents this session holds. */
  #hasRoom(key: DocKey): boolean {
    if (this.#docs.has(key) || this.#deferred.has(key)) return true;
    return this.#docs.size + this.#deferred.size < 2 * this.#ctx.limits.maxDocsPerSession;
  }

  /** Applies a peer message to a document; returns the heads before and after. */
  #receiveInto(key: DocKey, st: DocState, message: Automerge.SyncMessage) {
    const before = Automerge.getHeads(st.doc);
    try {
      [st.doc, st.sync] = Automerge.receiveSyncMessage(st.doc, st.sync, message);
    } catch (err) {
      throw new ReplicationError('PROTOCOL_VIOLATION', `bad automerge sync message for ${key}`, {
        cause: err,
      });
    }
    return { before, after: Automerge.getHeads(st.doc) };
  }

  /** Keeps a message that carries no blocks for a document we have not opened yet. */
  #defer(key: DocKey, message: Automerge.SyncMessage): boolean {
    if (this.#docs.has(key) || !this.#hasRoom(key)) return false;
    let changes: number;
    try {
      changes = Automerge.decodeSyncMessage(message).changes.length;
    } catch (err) {
      throw new ReplicationError('PROTOCOL_VIOLATION', `bad automerge sync message for ${key}`, {
        cause: err,
      });
    }
    if (changes > 0) return false;
    const queued = this.#deferred.get(key);
    if (queued === undefined) this.#deferred.set(key, [message]);
    else queued.push(message);
    if (!this.#wanted.includes(key)) this.#wanted.push(key);
    return true;
  }

  /**
   * Keeps a document made from the store: its first message to a peer that
   * holds nothing of it is the whole document, saved (so caching costs no
   * extra work). An entry that does not load into the same heads is dropped
   * when used, so a message that carried less costs a rebuild, never a
   * wrong document.
   */
  #remember(key: DocKey, st: DocState, message: Automerge.SyncMessage): void {
    const fresh = st.fresh;
    st.fresh = false;
    const cache = this.#ctx.cache;
    if (!fresh || !st.peerEmpty || st.fromCache || st.source === undefined || cache === undefined)
      return;
    const chunks = Automerge.decodeSyncMessage(message).changes;
    if (chunks.length === 0) return;
    cache.put(this.#realmId, key, { ...st.source, bytes: concatBytes(...chunks) });
  }

  /**
   * Sends our turn: one Automerge sync message per document that has
   * something to say, packed into frames of about {@link PACK_BYTES} and sent
   * as soon as they are full, then a frame marked `done`. With `endIfQuiet`,
   * a turn with nothing to say is an `end` instead. Returns how many
   * documents spoke.
   */
  async #sendTurn(endIfQuiet: boolean): Promise<number> {
    let sent!: () => void;
    this.#turn = new Promise<void>((resolve) => (sent = resolve));
    try {
      return await this.#sendDocs(endIfQuiet);
    } finally {
      this.#turn = undefined;
      sent();
    }
  }

  /** The messages of our turn, frame by frame (see `#sendTurn`). */
  async #sendDocs(endIfQuiet: boolean): Promise<number> {
    let pack: [DocKey, Uint8Array][] = [];
    let packBytes = 0;
    let spoke = 0;
    for (const key of [...this.#wanted]) {
      const st = await this.#open(key);
      if (st === undefined) continue;
      const [sync, message] = Automerge.generateSyncMessage(st.doc, st.sync);
      st.sync = sync;
      if (message === null) continue;
      this.#remember(key, st, message);
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
      await this.#makeRoom();
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
      if (this.#defer(key, message)) continue;
      const st = await this.#open(key);
      if (st === undefined) continue;
      const { before, after } = this.#receiveInto(key, st, message);
      if (sameHeads(before, after)) continue;
      st.fresh = false;
      // diff hands the new values over as Uint8Array views; getConflicts copies, so it is kept for forks.
      for (const patch of Automerge.diff(st.doc, before, after)) {
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
          if (await this.#known(st, seq, value, conflict)) continue;
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
          this.#decode(value);
        }
      }
    }
    this.#pump();
  }

  /**
   * Whether `value` at `seq` is already on its way: sent before in this
   * session, or (for a conflict, which lists every value of the key) the
   * block our store holds there. Compared byte for byte: a value is only
   * skipped when it is exactly one we have.
   */
  async #known(st: DocState, seq: number, value: Uint8Array, conflict: boolean): Promise<boolean> {
    const got = st.got.get(seq);
    if (got?.some((b) => bytesEqual(b, value))) return true;
    if (got === undefined) st.got.set(seq, [value]);
    else got.push(value);
    if (!conflict || st.source === undefined || seq > st.source.lastSeq) return false;
    const own = await this.#ctx.ledger.store.getBlockAt(this.#realmId, st.author, seq);
    return own !== undefined && bytesEqual(own.bytes, value);
  }

  /** Decodes a block's structure and queues it; the ledger checks signature and Merkle root. */
  #decode(bytes: Uint8Array): void {
    try {
      this.#waiting.push(decodeBlock(bytes, { verify: false }));
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      this.#reject({ block: null, code: err.code, message: err.message }, true);
    }
  }

  /** Starts passing waiting blocks to the ledger, unless that runs already. */
  #pump(): void {
    if (this.#pumping !== undefined || this.#ingestError !== undefined) return;
    if (this.#waiting.length === 0 && !this.#anyDue()) return;
    this.#pumping = (async () => {
      while ((this.#waiting.length > 0 || this.#anyDue()) && this.#ingestError === undefined) {
        while (this.#turn !== undefined) await this.#turn;
        const batch = this.#waiting.splice(0, INGEST_BATCH);
        const call = this.#ingest(batch).catch((err: unknown) => {
          this.#ingestError ??= err instanceof Error ? err : new Error(String(err));
        });
        this.#current = call;
        await call;
        this.#current = undefined;
      }
    })().finally(() => {
      this.#pumping = undefined;
      this.#pump();
    });
  }

  /** Waits while too many blocks wait for the ledger. */
  async #makeRoom(): Promise<void> {
    while (
      this.#waiting.length >= this.#ctx.limits.maxQueuedBlocks &&
      this.#current !== undefined
    ) {
      await this.#current;
    }
    if (this.#ingestError !== undefined) throw this.#ingestError;
  }

  /** Waits until every received block went through the ledger. */
  async #drain(): Promise<void> {
    while (this.#pumping !== undefined) await this.#pumping;
  }

  #reject(rejection: Rejection, offence: boolean): void {
    this.#rejected++;
    this.#ctx.sink.rejected(this.#realmId, rejection, offence);
  }

  /**
   * Whether a parked block may pass now: its chain grew since it was parked
   * (a gap), or anything was admitted since (a dependency, the genesis, a
   * membership). Offering every parked block with every call would have the
   * ledger check its signature and root again each time for nothing.
   */
  #due(p: Parked): boolean {
    return p.gap ? (this.#grew.get(p.block.header.author) ?? -1) > p.since : this.#round > p.since;
  }

  #anyDue(): boolean {
    for (const p of this.#pending.values()) if (this.#due(p)) return true;
    return false;
  }

  /**
   * Parks the blocks whose chain has a hole before them (their predecessor
   * is neither stored nor in this call), and returns the others: the ledger
   * would check each parked one's signature and root only to answer
   * `CHAIN_GAP`. They are offered once their chain grows, or at the end.
   */
  async #holdGaps(input: SignedBlock[]): Promise<SignedBlock[]> {
    const next = new Map<PublicKey, number>();
    for (const b of input) {
      const author = b.header.author;
      if (next.has(author)) continue;
      const head = await this.#ctx.ledger.store.head(this.#realmId, author);
      next.set(author, head === undefined ? 0 : head.seq + 1);
    }
    const bySeq = [...input].sort(
      (x, y) =>
        (x.header.author < y.header.author ? -1 : x.header.author > y.header.author ? 1 : 0) ||
        x.header.seq - y.header.seq,
    );
    const held = new Set<SignedBlock>();
    for (const b of bySeq) {
      const expected = next.get(b.header.author)!;
      if (b.header.seq === expected) next.set(b.header.author, expected + 1);
      else if (b.header.seq > expected && this.#pending.size < this.#ctx.limits.maxPendingBlocks) {
        held.add(b);
        this.#pending.set(b.id, { block: b, gap: true, since: this.#round });
      }
    }
    return held.size === 0 ? input : input.filter((b) => !held.has(b));
  }

  /** Validates and stores blocks (with the parked ones that may pass now; all of them at the end). */
  async #ingest(blocks: readonly SignedBlock[], final = false): Promise<void> {
    const realm = this.#realmId;
    const input: SignedBlock[] = [];
    for (const [id, p] of this.#pending) {
      if (!final && !this.#due(p)) continue;
      input.push(p.block);
      this.#pending.delete(id);
    }
    input.push(...blocks);
    const offered = final ? input : await this.#holdGaps(input);
    if (offered.length === 0) return;
    // The ledger checks signature and Merkle root (and names the block in its
    // rejection, so a refusal is counted once, not per session).
    const report = await this.#ctx.ledger.ingest(offered, { realm });
    if (report.accepted.length > 0) {
      this.#accepted += report.accepted.length;
      this.#round++;
      for (const b of report.accepted) this.#grew.set(b.header.author, this.#round);
      this.#ctx.sink.accepted(realm, report.accepted);
    }
    if (report.forks.length > 0) await this.#ctx.sink.forks(report.forks);
    const truncated = this.#moreHere || this.#moreThere;
    // The ledger names the blocks whose verdict may change once others arrive:
    // those wait here, and are never the sender's fault on their own.
    const retryable = new Map<string, SignedBlock>(report.retryable.map((b) => [b.id, b]));
    for (const r of report.rejected) {
      const block = r.block === null ? undefined : retryable.get(r.block);
      const waits = block !== undefined;
      if (!final && waits && this.#pending.size < this.#ctx.limits.maxPendingBlocks) {
        this.#pending.set(block.id, { block, gap: r.code === 'CHAIN_GAP', since: this.#round });
        continue;
      }
      // A non-member's block is the peer's fault only when the session saw the whole realm.
      const offence = r.code === 'NOT_A_MEMBER' ? !truncated : !waits && r.code !== 'CHAIN_FORK';
      this.#reject(r, offence);
    }
  }

  #outcome(declined?: string): SessionOutcome {
    return {
      realm: this.#realm,
      docs: this.#docs.size,
      accepted: this.#accepted,
      rejected: this.#rejected,
      more: this.#moreHere || this.#moreThere,
      ...(declined === undefined ? {} : { declined }),
    };
  }

  async #free(): Promise<void> {
    for (const st of this.#docs.values()) Automerge.free(st.doc);
    this.#docs.clear();
    // A failed session still finishes validating what it already received.
    await this.#drain();
  }

  /**
   * The end of a session, either role, once the exchange is over: the last
   * validations and retries (announced to the backlog, so that the next
   * session waits for them before reading its manifest), the outcome.
   */
  async #finish(): Promise<SessionOutcome> {
    const work = (async () => {
      await this.#drain();
      if (this.#ingestError !== undefined) throw this.#ingestError;
      await this.#ingest([], true);
    })();
    this.#ctx.backlog?.add(work);
    await work;
    return this.#outcome();
  }

  async initiate(realm: RealmId): Promise<SessionOutcome> {
    this.#realm = realm;
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
      this.#realm = hello.realm;
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
