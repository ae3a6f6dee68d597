import * as Automerge from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { peekBlock } from '../ledger/index.js';
import type { SignedBlock } from '../ledger/index.js';
import { buildBlockDoc } from './block-doc.js';
import { docKey } from './doc-key.js';
import type { FrameChannel } from './frame-channel.js';
import { channelPair } from './memory-channel.js';
import { decodeMessage, encodeMessage, isSync } from './messages.js';
import { SessionDocs } from './session-docs.js';
import type { SessionDoc } from './session-docs.js';
import { writeSynthetic } from './synthetic.js';
import { blockIds, memoryPeer, syncOnce, syncPair, testIdentity, testRealm } from './test-kit.js';
import type { MemoryPeer } from './test-kit.js';
import type { ReplicatorInit } from './replicator.js';

/** A server holding a realm of 26 blocks (by default) by its admin: documents 0–2 full, document 3 partial. */
async function server(blockSize = 100, blocks = 25) {
  const admin = testIdentity(1);
  const { realm, block } = testRealm(admin);
  const a = await memoryPeer('a');
  await a.ledger.ingest([block]);
  await writeSynthetic(a.ledger, admin, realm, blocks * blockSize, { blockSize });
  return { admin, realm, a };
}

async function chainOf(peer: MemoryPeer, realm: string, author: string): Promise<SignedBlock[]> {
  const out: SignedBlock[] = [];
  for await (const b of peer.ledger.store.chain(realm as never, author as never)) out.push(b);
  return out;
}

/** Holds every ledger call of `peer` until the returned function is called. */
function holdIngest(peer: MemoryPeer): () => void {
  const ingest = peer.ledger.ingest.bind(peer.ledger);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  peer.ledger.ingest = async (...args) => {
    await gate;
    return ingest(...args);
  };
  return release;
}

/** Records the frames one side sends. */
function recording(channel: FrameChannel, into: Uint8Array[]): FrameChannel {
  return {
    bytes: channel.bytes,
    send: (frame) => {
      into.push(frame);
      return channel.send(frame);
    },
    receive: (signal) => channel.receive(signal),
    close: () => channel.close(),
  };
}

describe('document cache in sessions', () => {
  it('serves a second catch-up the first messages cached in the first, making no document', async () => {
    const { realm, a } = await server();
    const cache = a.replicator.docCache!;
    const b = await memoryPeer('b');
    await syncPair(b, a, realm);
    expect(cache.size).toBe(4);
    expect(cache.stats.hits).toBe(0);
    const c = await memoryPeer('c');
    const [, served] = await syncOnce(c, a, realm);
    expect(cache.stats.hits).toBe(4);
    expect(served?.docs).toBe(4);
    expect(served?.peakDocs).toBe(0);
    expect(await blockIds(c)).toEqual(await blockIds(a));
  });

  it('loads a cached document for a peer that holds part of it', async () => {
    const { admin, realm, a } = await server();
    const cache = a.replicator.docCache!;
    await syncPair(await memoryPeer('b'), a, realm);
    // c holds the first 4 blocks of document 0: that document is loaded and synced, not sent as cached.
    const c = await memoryPeer('c');
    await c.ledger.ingest((await chainOf(a, realm, admin.publicKey)).slice(0, 4));
    const [, served] = await syncOnce(c, a, realm);
    expect(cache.stats.hits).toBe(4);
    expect(served?.peakDocs).toBe(1);
    expect(await blockIds(c)).toEqual(await blockIds(a));
  });

  it('never serves a stale entry: a bucket that grew is rebuilt with its new blocks', async () => {
    const { admin, realm, a } = await server();
    await syncPair(await memoryPeer('b'), a, realm);
    await writeSynthetic(a.ledger, admin, realm, 300, { blockSize: 100, from: 2500 });
    const c = await memoryPeer('c');
    await syncPair(c, a, realm);
    expect(await blockIds(c)).toEqual(await blockIds(a));
    expect((await c.ledger.store.counts()).events).toBe(2801);
  });

  it('drops an entry whose message does not carry its heads, and a cleared cache only costs rebuilds', async () => {
    const { admin, realm, a } = await server();
    const cache = a.replicator.docCache!;
    const chain = await chainOf(a, realm, admin.publicKey);
    const full = buildBlockDoc(chain.slice(0, 8));
    const part = buildBlockDoc(chain.slice(0, 4));
    // Bucket 0 claims the heads of all 8 blocks but its message carries 4; bucket 1's is not a
    // sync message at all.
    const [, opening] = Automerge.generateSyncMessage(Automerge.init(), Automerge.initSyncState());
    const [primed, sync] = Automerge.receiveSyncMessage(part, Automerge.initSyncState(), opening!);
    cache.put(realm, docKey(admin.publicKey, 0), {
      lastSeq: 7,
      lastId: chain[7]!.id,
      heads: Automerge.getHeads(full),
      message: Automerge.generateSyncMessage(primed, sync)[1]!,
    });
    cache.put(realm, docKey(admin.publicKey, 1), {
      lastSeq: 15,
      lastId: chain[15]!.id,
      heads: ['00'.repeat(32)],
      message: new Uint8Array([1, 2, 3]),
    });
    const c = await memoryPeer('c');
    await syncPair(c, a, realm);
    expect(await blockIds(c)).toEqual(await blockIds(a));
    expect(cache.stats.hits).toBe(0);
    cache.clear();
    const d = await memoryPeer('d');
    await syncPair(d, a, realm);
    expect(await blockIds(d)).toEqual(await blockIds(a));
  });
});

describe('session pipeline', () => {
  it("sends what the responder's manifest lacks in the initiator's first messages", async () => {
    const { realm, a } = await server();
    const b = await memoryPeer('b');
    const [ca, cb] = channelPair();
    const sent: Uint8Array[] = [];
    await Promise.all([
      a.replicator.initiate(recording(ca, sent), 'b', realm),
      b.replicator.respond(cb, 'a'),
    ]);
    // The first message for each document carries it whole: no round trip to learn b is empty.
    const first = new Map<string, Uint8Array>();
    for (const m of sent.map(decodeMessage).filter(isSync)) {
      for (const [key, message] of m.docs) if (!first.has(key)) first.set(key, message);
    }
    expect(first.size).toBe(4);
    for (const message of first.values()) {
      expect(Automerge.decodeSyncMessage(message).changes.length).toBeGreaterThan(0);
    }
    expect(await blockIds(b)).toEqual(await blockIds(a));
  });

  it("waits for another session's validation before reading its manifest (nothing is fetched twice)", async () => {
    const { realm, a } = await server();
    const b = await memoryPeer('b');
    // Hold b's ledger: the first session ends its exchange while b still validates.
    const release = holdIngest(b);
    const [ca, cb] = channelPair();
    const first = b.replicator.initiate(ca, 'a', realm);
    const served = await a.replicator.respond(cb, 'b');
    expect(served?.docs).toBe(4);
    // The exchange is over; a opens another session before b has stored anything.
    const second = syncOnce(a, b, realm);
    release();
    expect((await first)?.accepted).toBe(26);
    const [again] = await second;
    expect(again?.docs).toBe(0);
    expect(await blockIds(b)).toEqual(await blockIds(a));
  });

  it('offers a block that came before its predecessor to the ledger once, when its chain reached it', async () => {
    // Blocks of 1000 events: each document travels in its own frame, and is validated on its own.
    const { admin, realm, a } = await server(1000);
    const b = await memoryPeer('b');
    // b holds the genesis: document 0 is not empty on its side, so it comes a round trip after
    // 1–3, which the initiator sends at once.
    const genesis = (await chainOf(a, realm, admin.publicKey))[0]!;
    await b.ledger.ingest([genesis]);
    const offers = new Map<string, number>();
    const ingest = b.ledger.ingest.bind(b.ledger);
    b.ledger.ingest = (input, options) => {
      for (const x of input) {
        const id = x instanceof Uint8Array ? peekBlock(x).id : x.id;
        offers.set(id, (offers.get(id) ?? 0) + 1);
      }
      return ingest(input, options);
    };
    await syncPair(a, b, realm);
    expect(await blockIds(b)).toEqual(await blockIds(a));
    expect(offers.size).toBe(25);
    expect(Math.max(...offers.values())).toBe(1);
  });

  it('stops reading the stream while the blocks it received wait for the ledger', async () => {
    // 15 documents of 8 blocks: several frames.
    const { realm, a } = await server(300, 119);
    const b = await memoryPeer('b', { limits: { maxQueuedBlocks: 8 } });
    const release = holdIngest(b);
    const [ca, cb] = channelPair();
    const sent: Uint8Array[] = [];
    let read = 0;
    const counting: FrameChannel = {
      ...cb,
      receive: async (signal) => {
        const frame = await cb.receive(signal);
        read++;
        return frame;
      },
    };
    const session = Promise.all([
      a.replicator.initiate(recording(ca, sent), 'b', realm),
      b.replicator.respond(counting, 'a'),
    ]);
    // a sends at once; b reads until 8 blocks wait, then stops while the ledger holds.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    const frames = sent.length;
    expect(frames).toBeGreaterThan(3);
    expect(read).toBeLessThan(frames);
    release();
    await session;
    expect(await blockIds(b)).toEqual(await blockIds(a));
  });
});

/** Two peers of one open realm: a holds `blocks` blocks by the admin, b as many by another author. */
async function disjoint(blocks: number, blockSize: number, init: ReplicatorInit = {}) {
  const admin = testIdentity(1);
  const { realm, block } = testRealm(admin);
  const a = await memoryPeer('a', init);
  const b = await memoryPeer('b', init);
  for (const p of [a, b]) await p.ledger.ingest([block]);
  await writeSynthetic(a.ledger, admin, realm, blocks * blockSize, { blockSize, tag: 1 });
  await writeSynthetic(b.ledger, testIdentity(2), realm, blocks * blockSize, {
    blockSize,
    tag: 2,
  });
  return { realm, a, b };
}

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 5));
};

/** Whether a frame is a sync frame carrying blocks. */
const carriesBlocks = (frame: Uint8Array) => {
  const m = decodeMessage(frame);
  return isSync(m) && m.docs.some(([, x]) => Automerge.decodeSyncMessage(x).changes.length > 0);
};

describe('documents held at once', () => {
  it('frees each document once in sync: a catch-up of 10 documents holds one at a time', async () => {
    // Blocks of 100 events: a document of 8 is ~170 kB, about one per frame.
    const { realm, a } = await server(100, 79);
    const b = await memoryPeer('b');
    const [joined, served] = await syncOnce(b, a, realm);
    expect(await blockIds(b)).toEqual(await blockIds(a));
    expect(served?.docs).toBe(10);
    expect(joined?.docs).toBe(10);
    // The server frees a document once it went whole to a peer that held nothing of it.
    expect(served?.peakDocs).toBe(1);
    // The joiner makes a document when it arrives and frees it once applied (in sync).
    expect(joined?.peakDocs).toBe(1);
  });

  it('revives a document sent whole when the peer turns out to hold a fork of it', async () => {
    const admin = testIdentity(1);
    const forker = testIdentity(4);
    const { realm, block } = testRealm(admin);
    const a = await memoryPeer('a');
    const b = await memoryPeer('b');
    const other = await memoryPeer('other');
    for (const p of [a, b, other]) await p.ledger.ingest([block]);
    // a holds the forker's chain (document 0, full); other holds a second chain of the same author.
    await writeSynthetic(a.ledger, forker, realm, 80, { blockSize: 10, tag: 1 });
    await writeSynthetic(other.ledger, forker, realm, 80, { blockSize: 10, tag: 2 });
    const fork = await chainOf(other, realm, forker.publicKey);
    // b stores two blocks of the second chain right after its hello, which said it held none:
    // a sends the document whole, frees it, and b's answer carries the fork.
    const [cb, ca] = channelPair();
    let hello = true;
    const late: FrameChannel = {
      ...cb,
      send: async (frame) => {
        await cb.send(frame);
        if (!hello) return;
        hello = false;
        await b.ledger.ingest(fork.slice(0, 2));
      },
    };
    await Promise.all([b.replicator.initiate(late, 'a', realm), a.replicator.respond(ca, 'b')]);
    // a saw the fork only by making the freed document again and applying b's answer.
    const evidence = await a.replicator.evidenceRecords();
    expect(evidence.map((e) => [e.author, e.seq])).toContainEqual([forker.publicKey, 0]);
  });

  it("absorbs a peer's acknowledgement of a freed document, and makes it again for anything else", async () => {
    // The genesis and 7 blocks: document 0, full.
    const { admin, realm, a } = await server(100, 7);
    const docs = new SessionDocs({ ledger: a.ledger, realm, maxDocs: 4, theirs: new Map() });
    const key = docKey(admin.publicKey, 0);
    const st = (await docs.open(key))!;
    const heads = Automerge.getHeads(st.doc);
    expect(heads).toHaveLength(8);
    const whole = await docs.turn(key);
    // Sent whole to a peer that holds nothing of it: freed at once.
    expect(st.settled).toBe(true);
    expect(docs.peak).toBe(1);
    expect(await docs.open(key)).toBeUndefined();
    const [peerDoc, peerSync] = Automerge.receiveSyncMessage(
      Automerge.init(),
      Automerge.initSyncState(),
      whole!,
    );
    const [, ack] = Automerge.generateSyncMessage(peerDoc, peerSync);
    expect(docs.absorbs(key, ack!)).toBe(true);
    // A peer that lost it (an empty document, a fresh sync state) asks again: made anew from the store.
    const [, again] = Automerge.generateSyncMessage(Automerge.init(), Automerge.initSyncState());
    const revived = await docs.toApply(key, again!);
    expect(revived).not.toBe('absorbed');
    const doc = (revived as SessionDoc).doc;
    expect(Automerge.getHeads(doc)).toEqual(heads);
    docs.free();
    Automerge.free(peerDoc);
  });
});

describe('full duplex', () => {
  it("sends the responder's documents while the initiator's are still on their way", async () => {
    const { realm, a, b } = await disjoint(20, 100);
    const [ca, cb] = channelPair();
    // Everything a sends after its hello is held back until released.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let hello = true;
    const held: FrameChannel = {
      ...ca,
      send: async (frame) => {
        if (!hello) await gate;
        hello = false;
        return ca.send(frame);
      },
    };
    const sentByB: Uint8Array[] = [];
    const session = Promise.all([
      a.replicator.initiate(held, 'b', realm),
      b.replicator.respond(recording(cb, sentByB), 'a'),
    ]);
    await ticks(20);
    expect(sentByB.some(carriesBlocks)).toBe(true);
    release();
    const [oa, ob] = await session;
    expect(oa?.accepted).toBe(20);
    expect(ob?.accepted).toBe(20);
    expect(await blockIds(a)).toEqual(await blockIds(b));
  });

  it('converges and loses nothing when both send at once over a bounded transport and read only as their ledgers keep up', async () => {
    const { realm, a, b } = await disjoint(40, 300, { limits: { maxQueuedBlocks: 1 } });
    const releases = [holdIngest(a), holdIngest(b)];
    const [ca, cb] = channelPair(1);
    const session = Promise.all([
      a.replicator.initiate(ca, 'b', realm),
      b.replicator.respond(cb, 'a'),
    ]);
    // Both ledgers hold: both readers stop, both senders wait on the transport.
    await ticks(10);
    for (const r of releases) r();
    const [oa, ob] = await session;
    expect(oa?.accepted).toBe(40);
    expect(ob?.accepted).toBe(40);
    expect(await blockIds(a)).toEqual(await blockIds(b));
    for (const p of [a, b]) expect((await p.ledger.store.counts()).events).toBe(24_001);
  });

  it('stops sending when the peer stops reading: no more than the transport holds is buffered', async () => {
    const { realm, a } = await server(1000);
    const [ca, cb] = channelPair(2);
    let started = 0;
    let accepted = 0;
    const counting: FrameChannel = {
      ...ca,
      send: async (frame) => {
        started++;
        await ca.send(frame);
        accepted++;
      },
    };
    const session = a.replicator.initiate(counting, 'b', realm);
    // A peer that says hello (it holds nothing), then never reads again.
    decodeMessage(await cb.receive());
    await cb.send(encodeMessage({ type: 'hello', realm, manifest: [] }));
    await ticks(40);
    // The hello, then two frames in the full inbox; the third waits, and nothing comes after it.
    expect(accepted).toBe(3);
    expect(started).toBe(4);
    const errors: string[] = [];
    a.replicator.on('session:end', (e) => errors.push(e.detail.error?.code ?? 'none'));
    await cb.close();
    expect(await session).toBeUndefined();
    expect(errors).toEqual(['STREAM_CLOSED']);
  });

  it('counts what it handed over: a transport that resolves sends late still ends the exchange cleanly', async () => {
    const { realm, a, b } = await disjoint(10, 100);
    const [ca, cb] = channelPair();
    // Frames are delivered at once, but each send resolves only some time later.
    const late = (c: FrameChannel): FrameChannel => ({
      ...c,
      send: async (frame) => {
        await c.send(frame);
        await ticks(2);
      },
    });
    const [oa, ob] = await Promise.all([
      a.replicator.initiate(late(ca), 'b', realm),
      b.replicator.respond(late(cb), 'a'),
    ]);
    expect(oa?.accepted).toBe(10);
    expect(ob?.accepted).toBe(10);
    expect(await blockIds(a)).toEqual(await blockIds(b));
  });

  it('refuses a peer that ends the exchange while we still have something to say', async () => {
    const { realm, a } = await server();
    const [ca, cb] = channelPair();
    const session = a.replicator.initiate(ca, 'b', realm);
    decodeMessage(await cb.receive());
    await cb.send(encodeMessage({ type: 'hello', realm, manifest: [] }));
    await cb.send(encodeMessage({ type: 'end' }));
    const errors: string[] = [];
    a.replicator.on('session:end', (e) => errors.push(e.detail.error?.code ?? 'none'));
    expect(await session).toBeUndefined();
    expect(errors).toEqual(['PROTOCOL_VIOLATION']);
    expect(a.replicator.guard.isPenalised('b')).toBe(true);
  });
});
