import * as Automerge from '@automerge/automerge';
import { bytesEqual } from '../crypto/index.js';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import { storedChainBytes } from '../ledger/index.js';
import type { ChainBlockBytes, Ledger } from '../ledger/index.js';
import { buildSessionDoc, loadSessionDoc } from './block-doc.js';
import type { BlockDoc } from './block-doc.js';
import type { DocCache, DocSource } from './doc-cache.js';
import { parseDocKey } from './doc-key.js';
import type { DocKey } from './doc-key.js';
import { ReplicationError } from './errors.js';
import { BLOCKS_PER_DOC } from './limits.js';
import type { ChainSummary } from './manifest.js';
import { patchedBlocks } from './patched-blocks.js';
import type { PatchedBlock } from './patched-blocks.js';

/** One document of a session: the Automerge document, its sync state with the peer, what it came from. */
export interface SessionDoc {
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
  /** In sync with the peer and freed (see {@link SessionDocs.sent}): `doc` must not be used. */
  settled: boolean;
}

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
 * What a sync state knows of the peer, as Automerge's object holds it: its
 * type declarations say `theirHeads` is undefined before the peer spoke
 * (the object holds null) and name `theirNeed` `theirHeed`.
 */
interface SyncProgress {
  readonly theirHeads: readonly string[] | null;
  readonly theirNeed: readonly string[] | null;
}

/** A document's heads, sorted. */
const sortedHeads = (doc: BlockDoc) => [...Automerge.getHeads(doc)].sort();

/**
 * Whether a document is in sync with the peer: the peer's last message
 * named exactly our heads and needs nothing, so each side holds all the
 * other holds.
 */
function inSync(st: SessionDoc): boolean {
  const { theirHeads, theirNeed } = st.sync as unknown as SyncProgress;
  return (
    theirHeads !== null &&
    (theirNeed === null || theirNeed.length === 0) &&
    sameHeads([...theirHeads].sort(), sortedHeads(st.doc))
  );
}

/** `message` decoded; `PROTOCOL_VIOLATION` when it is not an Automerge sync message. */
function decodeSyncMessage(key: DocKey, message: Automerge.SyncMessage) {
  try {
    return Automerge.decodeSyncMessage(message);
  } catch (err) {
    throw new ReplicationError('PROTOCOL_VIOLATION', `bad automerge sync message for ${key}`, {
      cause: err,
    });
  }
}

/** What the documents of a session are made from. */
export interface SessionDocsContext {
  readonly ledger: Ledger;
  readonly realm: RealmId;
  /** Documents (opened or waiting to be) one session may hold. */
  readonly maxDocs: number;
  /** The peer's chain heads, by author (its manifest). */
  readonly theirs: ReadonlyMap<PublicKey, ChainSummary>;
  readonly cache?: DocCache;
}

/**
 * The documents of one sync session: made lazily from the store (or the
 * cache, when it still holds what the store holds), primed when the peer's
 * manifest shows it holds nothing of them, kept in the cache once built,
 * and freed as soon as they are settled (a peer that holds nothing of a
 * cached one gets its cached first message, and no document is made).
 */
export class SessionDocs {
  readonly #ctx: SessionDocsContext;
  readonly #docs = new Map<DocKey, SessionDoc>();
  /**
   * Peer messages without changes for documents not opened yet: applied
   * when the sender opens the document, so that a side makes its documents
   * one by one as it sends them, instead of all of them before it sends the
   * first.
   */
  readonly #deferred = new Map<DocKey, Automerge.SyncMessage[]>();
  /** Documents being made now. */
  readonly #opening = new Map<DocKey, Promise<SessionDoc | undefined>>();
  /**
   * Documents in sync with the peer, freed: their heads. A document's
   * Automerge memory is freed as soon as both sides hold the same heads
   * (or the whole document went to a peer that held nothing of it), so a
   * session holds a few documents at once, not every one it synced: on
   * this machine a first touch of memory costs ~30 µs a page, and 25
   * documents of 8,000 events kept to the end of a session tripled the
   * cost of receiving them.
   */
  readonly #settled = new Map<DocKey, readonly string[]>();
  /** Most documents held in Automerge at once. */
  #peak = 0;
  /** Cached first messages of documents settled without being made (see `#make`), not sent yet. */
  readonly #cachedFirst = new Map<DocKey, Automerge.SyncMessage>();
  /** Documents a peer message revived: made in full from then on, never settled from the cache. */
  readonly #revived = new Set<DocKey>();
  /** Freed: no document is made any more. */
  #closed = false;

  constructor(ctx: SessionDocsContext) {
    this.#ctx = ctx;
  }

  /** Documents opened so far (held or settled). */
  get size(): number {
    return this.#docs.size + this.#settled.size;
  }

  /** Most documents the session held in Automerge at once. */
  get peak(): number {
    return this.#peak;
  }

  /** What the store holds of the bucket from `first`: its last block (undefined: nothing). */
  async #lastHeld(
    author: PublicKey,
    first: number,
  ): Promise<{ lastSeq: number; lastId: BlockId } | undefined> {
    const store = this.#ctx.ledger.store;
    const head = await store.head(this.#ctx.realm, author);
    if (head === undefined || head.seq < first) return undefined;
    const lastSeq = Math.min(head.seq, first + BLOCKS_PER_DOC - 1);
    if (lastSeq === head.seq) return { lastSeq, lastId: head.id };
    for await (const last of storedChainBytes(store, this.#ctx.realm, author, lastSeq)) {
      return last.seq === lastSeq ? { lastSeq, lastId: last.id } : undefined;
    }
    return undefined;
  }

  /**
   * The cache entry for `key` if it still is what the store holds and its
   * message carries one saved document with the entry's heads, with that
   * document; drops a bad entry.
   */
  #cachedEntry(key: DocKey, held: { lastSeq: number; lastId: BlockId }) {
    const cache = this.#ctx.cache;
    const entry = cache?.get(this.#ctx.realm, key, held);
    if (cache === undefined || entry === undefined) return undefined;
    try {
      const { heads, changes } = Automerge.decodeSyncMessage(entry.message);
      if (changes.length === 1 && sameHeads([...heads].sort(), [...entry.heads].sort())) {
        return { entry, saved: changes[0]! };
      }
    } catch {
      // Not a sync message: dropped below.
    }
    cache.discard(this.#ctx.realm, key);
    return undefined;
  }

  /** The saved document of a cache entry, loaded, if it holds exactly `heads`; drops the entry otherwise. */
  #loadCached(key: DocKey, saved: Uint8Array, heads: readonly string[]): BlockDoc | undefined {
    let doc: BlockDoc | undefined;
    try {
      doc = loadSessionDoc(saved);
    } catch {
      doc = undefined;
    }
    if (doc !== undefined && sameHeads(sortedHeads(doc), [...heads].sort())) return doc;
    if (doc !== undefined) Automerge.free(doc);
    this.#ctx.cache?.discard(this.#ctx.realm, key);
    return undefined;
  }

  /**
   * The session's document for `key`, made now if needed; undefined when
   * the session holds too many, or is over. Both halves of a session open
   * documents at once: a document being made is made once, for both.
   */
  open(key: DocKey): Promise<SessionDoc | undefined> {
    const existing = this.#docs.get(key);
    if (existing !== undefined) return Promise.resolve(existing);
    const opening = this.#opening.get(key);
    if (opening !== undefined) return opening;
    // Settled: nothing to say; a peer message that is more than an acknowledgement revives it first.
    if (this.#closed || this.#settled.has(key) || !this.#hasRoom(key))
      return Promise.resolve(undefined);
    const made = this.#make(key).finally(() => this.#opening.delete(key));
    this.#opening.set(key, made);
    return made;
  }

  async #make(key: DocKey): Promise<SessionDoc | undefined> {
    const { author, bucket } = parseDocKey(key)!;
    const first = bucket * BLOCKS_PER_DOC;
    const held = await this.#lastHeld(author, first);
    const theirs = this.#ctx.theirs.get(author);
    const peerEmpty = theirs === undefined || theirs.seq < first;
    const cached = held === undefined ? undefined : this.#cachedEntry(key, held);
    const untouched = !this.#revived.has(key) && !this.#deferred.has(key);
    if (cached !== undefined && peerEmpty && untouched && !this.#closed) {
      // Its first message is all a peer that holds nothing needs: sent as cached, no
      // document made. The peer's answer acknowledges it, or revives it.
      this.#settled.set(key, [...cached.entry.heads].sort());
      this.#cachedFirst.set(key, cached.entry.message);
      return undefined;
    }
    let doc: BlockDoc | undefined =
      cached === undefined ? undefined : this.#loadCached(key, cached.saved, cached.entry.heads);
    const fromCache = doc !== undefined;
    let source: DocSource | undefined = fromCache ? cached?.entry : undefined;
    if (doc === undefined && held !== undefined) {
      // Raw bytes: a document needs each block's id, seq and bytes, nothing decoded.
      const blocks: ChainBlockBytes[] = [];
      const store = this.#ctx.ledger.store;
      for await (const b of storedChainBytes(store, this.#ctx.realm, author, first)) {
        if (b.seq > held.lastSeq) break;
        blocks.push(b);
      }
      if (this.#closed) return undefined;
      doc = buildSessionDoc(blocks);
      source = { ...held, heads: Automerge.getHeads(doc) };
    }
    doc ??= Automerge.init();
    if (this.#closed) {
      Automerge.free(doc);
      return undefined;
    }
    let sync = Automerge.initSyncState();
    if (peerEmpty && source !== undefined) {
      [doc, sync] = Automerge.receiveSyncMessage(doc, sync, EMPTY_PEER_MESSAGE);
    }
    const state: SessionDoc = {
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
      settled: false,
    };
    this.#docs.set(key, state);
    this.#peak = Math.max(this.#peak, this.#docs.size);
    for (const message of this.#deferred.get(key) ?? []) this.receive(key, state, message);
    this.#deferred.delete(key);
    return state;
  }

  /** Whether `key` is, or may become, one of the documents this session holds. */
  #hasRoom(key: DocKey): boolean {
    if (this.#docs.has(key) || this.#opening.has(key) || this.#deferred.has(key)) return true;
    const held = this.#docs.size + this.#settled.size + this.#opening.size + this.#deferred.size;
    return held < this.#ctx.maxDocs;
  }

  /**
   * Applies a peer message to a document; returns the blocks it put there
   * (see {@link patchedBlocks}), or undefined when nothing changed. Frees
   * the document when it is then in sync (see `#settle`): the peer
   * told us heads we now hold, so it holds everything we hold and has
   * nothing more to send; it needs no acknowledgement, as it sent nothing
   * it waits on.
   */
  receive(key: DocKey, st: SessionDoc, message: Automerge.SyncMessage): PatchedBlock[] | undefined {
    const before = Automerge.getHeads(st.doc);
    // The patches Automerge makes to update the document are the diff from
    // before to after: kept, rather than asking `diff` to make them again.
    let patches: Automerge.Patch[] = [];
    try {
      [st.doc, st.sync] = Automerge.receiveSyncMessage(st.doc, st.sync, message, {
        patchCallback: (made) => (patches = made),
      });
    } catch (err) {
      throw new ReplicationError('PROTOCOL_VIOLATION', `bad automerge sync message for ${key}`, {
        cause: err,
      });
    }
    const changed = !sameHeads(before, Automerge.getHeads(st.doc));
    // Read before the document may be freed (a conflict's values come from it).
    const blocks = changed ? patchedBlocks(key, st.doc, st.first, patches) : undefined;
    // Changed by the peer: no longer what the store holds.
    if (changed) st.fresh = false;
    if (inSync(st)) this.#settle(key, st);
    return blocks;
  }

  /**
   * Whether `message` is the first message of a peer whose document is
   * empty, for a bucket its manifest shows it holds nothing of: what was
   * fed to the document already (see {@link EMPTY_PEER_MESSAGE}). Applied
   * again, after our message carrying the whole document crossed it, it
   * would make Automerge send the whole document a second time.
   */
  emptyPeerOpening(key: DocKey, message: Automerge.SyncMessage): boolean {
    const { author, bucket } = parseDocKey(key)!;
    const theirs = this.#ctx.theirs.get(author);
    const peerEmpty = theirs === undefined || theirs.seq < bucket * BLOCKS_PER_DOC;
    return peerEmpty && bytesEqual(message, EMPTY_PEER_MESSAGE);
  }

  /**
   * Whether `message`, for a settled document, only acknowledges it: it
   * names our heads and asks for nothing, so there is nothing to apply or
   * answer. Any other message revives the document: it is made again (from
   * the store or the cache) when next opened, with a fresh sync state.
   */
  absorbs(key: DocKey, message: Automerge.SyncMessage): boolean {
    const heads = this.#settled.get(key);
    if (heads === undefined) return false;
    const decoded = decodeSyncMessage(key, message);
    if (
      decoded.changes.length === 0 &&
      decoded.need.length === 0 &&
      sameHeads([...decoded.heads].sort(), heads)
    ) {
      return true;
    }
    this.#settled.delete(key);
    this.#cachedFirst.delete(key);
    this.#revived.add(key);
    return false;
  }

  /**
   * After the sender's turn on a document (`message`: what it sent, null
   * when it had nothing to say): caches a document just made from the store
   * (see `#remember`), and frees it once it is settled: sent whole to a
   * peer that held nothing of it (the peer's answer, if any, acknowledges
   * it or revives it), or in sync.
   */
  #sent(key: DocKey, st: SessionDoc, message: Automerge.SyncMessage | null): void {
    const whole = message !== null && st.fresh && st.peerEmpty;
    if (message !== null) this.#remember(key, st, message);
    if (whole || inSync(st)) this.#settle(key, st);
  }

  /**
   * The sender's turn on `key`: our next sync message for it (undefined:
   * nothing to say, no room, or the session is over), the document made
   * first if needed. A document settled from the cache (see `#make`) sends
   * its cached first message, once.
   */
  async turn(key: DocKey): Promise<Automerge.SyncMessage | undefined> {
    const st = await this.open(key);
    const cached = this.#cachedFirst.get(key);
    if (cached !== undefined) {
      this.#cachedFirst.delete(key);
      return cached;
    }
    if (st === undefined || st.settled) return undefined;
    const [sync, message] = Automerge.generateSyncMessage(st.doc, st.sync);
    st.sync = sync;
    this.#sent(key, st, message);
    return message ?? undefined;
  }

  /** Frees a settled document, keeping its heads for the peer's acknowledgements. */
  #settle(key: DocKey, st: SessionDoc): void {
    const heads = sortedHeads(st.doc);
    Automerge.free(st.doc);
    st.settled = true;
    this.#docs.delete(key);
    this.#settled.set(key, heads);
  }

  /**
   * The document a peer message for `key` is to be applied to: undefined
   * when the session holds no room for it, 'absorbed' when the document is
   * settled and the message only acknowledges it (see {@link absorbs}).
   */
  async toApply(
    key: DocKey,
    message: Automerge.SyncMessage,
  ): Promise<SessionDoc | 'absorbed' | undefined> {
    for (;;) {
      if (this.absorbs(key, message)) return 'absorbed';
      const st = await this.open(key);
      if (st !== undefined && !st.settled) return st;
      // No room, or the session is over.
      if (!this.#settled.has(key)) return undefined;
      // Settled while this waited (by the sender, or from the cache when made): look again.
    }
  }

  /** Keeps a message that carries no blocks for a document not opened yet; false when it must be applied now. */
  defer(key: DocKey, message: Automerge.SyncMessage): boolean {
    if (this.#docs.has(key) || this.#closed || !this.#hasRoom(key)) return false;
    if (decodeSyncMessage(key, message).changes.length > 0) return false;
    const queued = this.#deferred.get(key);
    if (queued === undefined) this.#deferred.set(key, [message]);
    else queued.push(message);
    return true;
  }

  /**
   * Keeps a document made from the store as its first message to a peer
   * that holds nothing of it (Automerge's own, carrying the whole document,
   * saved: caching costs no extra work). Served again as it is to the next
   * such peer, and loaded for any other; an entry whose message does not
   * carry its heads, or whose document does not load into them, is dropped
   * when used, so it costs a rebuild (or the peer a round trip, which
   * revives the document), never a wrong block.
   */
  #remember(key: DocKey, st: SessionDoc, message: Automerge.SyncMessage): void {
    const fresh = st.fresh;
    st.fresh = false;
    const cache = this.#ctx.cache;
    if (!fresh || !st.peerEmpty || st.fromCache || st.source === undefined || cache === undefined)
      return;
    cache.put(this.#ctx.realm, key, { ...st.source, message });
  }

  /**
   * Whether `value` at `seq` is already on its way: sent before in this
   * session, or (for a conflict, which lists every value of the key) the
   * block our store holds there. Compared byte for byte: a value is only
   * skipped when it is exactly one we have.
   */
  async known(st: SessionDoc, seq: number, value: Uint8Array, conflict: boolean): Promise<boolean> {
    const got = st.got.get(seq);
    if (got?.some((b) => bytesEqual(b, value))) return true;
    if (got === undefined) st.got.set(seq, [value]);
    else got.push(value);
    if (!conflict || st.source === undefined || seq > st.source.lastSeq) return false;
    const own = await this.#ctx.ledger.store.getBlockAt(this.#ctx.realm, st.author, seq);
    return own !== undefined && bytesEqual(own.bytes, value);
  }

  /** Frees every document; a document still being made is freed once made. */
  free(): void {
    this.#closed = true;
    this.#cachedFirst.clear();
    for (const st of this.#docs.values()) Automerge.free(st.doc);
    this.#docs.clear();
  }
}
