import * as Automerge from '@automerge/automerge';
import { sha256, toHex } from '../crypto/index.js';
import type { PublicKey, RealmId } from '../crypto/index.js';
import { decodeBlock, LedgerError } from '../ledger/index.js';
import type { ForkEvidence, Ledger, Rejection, SignedBlock } from '../ledger/index.js';
import { buildBlockDoc } from './block-doc.js';
import type { BlockDoc } from './block-doc.js';
import { parseDocKey } from './doc-key.js';
import type { DocKey } from './doc-key.js';
import { ReplicationError } from './errors.js';
import type { FrameChannel } from './frame-channel.js';
import { BLOCKS_PER_DOC } from './limits.js';
import type { ReplicationLimits } from './limits.js';
import { docsToSync, readManifest } from './manifest.js';
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

/** What a session needs. */
export interface SessionContext {
  readonly ledger: Ledger;
  readonly limits: ReplicationLimits;
  readonly peer: string;
  readonly sink: SessionSink;
  /** Responders: whether we replicate this realm. */
  readonly acceptRealm?: (realm: RealmId) => boolean;
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

interface DocState {
  doc: BlockDoc;
  sync: Automerge.SyncState;
  readonly first: number;
  readonly seen: Set<string>;
  received: number;
}

/** What tells a block value apart in a document (op ids are not exposed for single values). */
const fingerprint = (bytes: Uint8Array) => toHex(sha256(bytes));

/**
 * One sync session over a frame channel, lockstep: the initiator sends, the
 * responder answers, until a round in which neither side has anything to
 * say. Each side opens the documents its manifest comparison names (and any
 * document the peer names), runs Automerge's sync protocol on each, and
 * passes every block it did not hold through `ledger.ingest` before it is
 * stored.
 */
class Session {
  readonly #ctx: SessionContext;
  readonly #channel: FrameChannel;
  readonly #docs = new Map<DocKey, DocState>();
  /** Documents of this session, in the order they are synced (ours from the manifests, then the peer's). */
  readonly #wanted: DocKey[] = [];
  readonly #pending = new Map<string, SignedBlock>();
  /**
   * Ingestion runs behind the Automerge exchange: we answer the peer first and
   * validate what it sent while it works on our answer, so both processes
   * work at once. The ledger serialises ingests, so order is kept.
   */
  #ingesting: Promise<void> = Promise.resolve();
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

  /** Opens our side of every document that differs from the peer's manifest. */
  async #hello(remote: WireMessage): Promise<void> {
    if (!isHello(remote) || remote.realm !== this.#realm) {
      throw new ReplicationError('PROTOCOL_VIOLATION', 'expected a hello for the session realm');
    }
    const store = this.#ctx.ledger.store;
    const realm = this.#realmId;
    const local = await readManifest(store, realm);
    const keys = await docsToSync(
      local,
      remote.manifest,
      async (author: PublicKey, seq: number) => {
        return (await store.getBlockAt(realm, author, seq))?.id;
      },
    );
    const max = this.#ctx.limits.maxDocsPerSession;
    this.#moreHere = keys.length > max;
    // Documents are built lazily, when first needed: building one while the peer ingests
    // the previous one pipelines the two processes.
    this.#wanted.push(...keys.slice(0, max));
  }

  async #open(key: DocKey): Promise<DocState | undefined> {
    const existing = this.#docs.get(key);
    if (existing !== undefined) return existing;
    if (this.#docs.size >= 2 * this.#ctx.limits.maxDocsPerSession) return undefined;
    const parsed = parseDocKey(key)!;
    const first = parsed.bucket * BLOCKS_PER_DOC;
    const blocks: SignedBlock[] = [];
    for await (const b of this.#ctx.ledger.store.chain(this.#realmId, parsed.author, first)) {
      if (b.header.seq >= first + BLOCKS_PER_DOC) break;
      blocks.push(b);
    }
    const state: DocState = {
      doc: buildBlockDoc(blocks),
      sync: Automerge.initSyncState(),
      first,
      seen: new Set(blocks.map((b) => fingerprint(b.bytes))),
      received: 0,
    };
    this.#docs.set(key, state);
    if (!this.#wanted.includes(key)) this.#wanted.push(key);
    return state;
  }

  /**
   * Sends our turn: one Automerge sync message per document that has
   * something to say, packed into frames of about {@link PACK_BYTES} and sent
   * as soon as they are full, then a frame marked `done`. With `endIfQuiet`,
   * a turn with nothing to say is an `end` instead. Returns how many
   * documents spoke.
   */
  async #sendTurn(endIfQuiet: boolean): Promise<number> {
    let pack: [DocKey, Uint8Array][] = [];
    let packBytes = 0;
    let spoke = 0;
    for (const key of [...this.#wanted]) {
      const st = await this.#open(key);
      if (st === undefined) continue;
      const [sync, message] = Automerge.generateSyncMessage(st.doc, st.sync);
      st.sync = sync;
      if (message === null) continue;
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
      const m = await this.#receive();
      if (isEnd(m) && first) return 'end';
      if (!isSync(m)) throw new ReplicationError('PROTOCOL_VIOLATION', 'expected a sync message');
      spoke += m.docs.length;
      await this.#apply(m);
      if (m.done) return spoke;
    }
  }

  /**
   * Applies the peer's sync messages and ingests the blocks we had not seen,
   * document by document (lowest buckets first), so progress is committed in
   * small atomic steps and a crash loses at most one document's worth.
   */
  async #apply(m: SyncMessage): Promise<void> {
    if (m.more) this.#moreThere = true;
    for (const [key, message] of m.docs) {
      const fresh: Uint8Array[] = [];
      const st = await this.#open(key);
      if (st === undefined) continue;
      const before = Automerge.getHeads(st.doc);
      try {
        [st.doc, st.sync] = Automerge.receiveSyncMessage(st.doc, st.sync, message);
      } catch (err) {
        throw new ReplicationError('PROTOCOL_VIOLATION', `bad automerge sync message for ${key}`, {
          cause: err,
        });
      }
      const after = Automerge.getHeads(st.doc);
      if (after.length === before.length && after.every((h, i) => h === before[i])) continue;
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
        const values: unknown[] =
          patch.action === 'put' && !patch.conflict
            ? [patch.value]
            : Object.values(Automerge.getConflicts(st.doc, k) ?? { only: st.doc[k] });
        for (const value of values) {
          if (!(value instanceof Uint8Array)) {
            throw new ReplicationError(
              'PROTOCOL_VIOLATION',
              `document ${key} holds a value that is not bytes`,
            );
          }
          const print = fingerprint(value);
          if (st.seen.has(print)) continue;
          st.seen.add(print);
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
          fresh.push(value);
        }
      }
      this.#queueIngest(fresh);
    }
  }

  #queueIngest(fresh: Uint8Array[]): void {
    if (fresh.length === 0) return;
    this.#ingesting = this.#ingesting
      .then(() => (this.#ingestError === undefined ? this.#ingest(fresh) : undefined))
      .catch((err: unknown) => {
        this.#ingestError ??= err instanceof Error ? err : new Error(String(err));
      });
  }

  #reject(rejection: Rejection, offence: boolean): void {
    this.#rejected++;
    this.#ctx.sink.rejected(this.#realmId, rejection, offence);
  }

  /** Validates and stores blocks (with those still waiting), keeping the ones that may pass later. */
  async #ingest(bytes: readonly Uint8Array[], final = false): Promise<void> {
    const realm = this.#realmId;
    const blocks: SignedBlock[] = [];
    // Structure only: the ledger checks signature and Merkle root (and names
    // the block in its rejection, so a refusal is counted once, not per session).
    for (const b of bytes) {
      try {
        blocks.push(decodeBlock(b, { verify: false }));
      } catch (err) {
        if (!(err instanceof LedgerError)) throw err;
        this.#reject({ block: null, code: err.code, message: err.message }, true);
      }
    }
    const input = [...this.#pending.values(), ...blocks];
    this.#pending.clear();
    if (input.length === 0) return;
    const report = await this.#ctx.ledger.ingest(input, { realm });
    if (report.accepted.length > 0) {
      this.#accepted += report.accepted.length;
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
        this.#pending.set(block.id, block);
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
    await this.#ingesting;
  }

  /** The end of a session, either role: last validations, last retries, the outcome. */
  async #finish(): Promise<SessionOutcome> {
    await this.#ingesting;
    if (this.#ingestError !== undefined) throw this.#ingestError;
    await this.#ingest([], true);
    return this.#outcome();
  }

  async initiate(realm: RealmId): Promise<SessionOutcome> {
    this.#realm = realm;
    try {
      await this.#send({
        type: 'hello',
        realm,
        manifest: await readManifest(this.#ctx.ledger.store, realm),
      });
      const reply = await this.#receive();
      if (isEnd(reply)) return this.#outcome(reply.code ?? 'DECLINED');
      await this.#hello(reply);
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
      await this.#send({
        type: 'hello',
        realm: hello.realm,
        manifest: await readManifest(this.#ctx.ledger.store, hello.realm),
      });
      await this.#hello(hello);
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
