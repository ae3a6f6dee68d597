import * as Automerge from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { peekBlock } from '../ledger/index.js';
import type { SignedBlock } from '../ledger/index.js';
import { buildBlockDoc } from './block-doc.js';
import { docKey } from './doc-key.js';
import type { FrameChannel } from './frame-channel.js';
import { channelPair } from './memory-channel.js';
import { decodeMessage, isSync } from './messages.js';
import { writeSynthetic } from './synthetic.js';
import { blockIds, memoryPeer, syncPair, testIdentity, testRealm } from './test-kit.js';
import type { MemoryPeer } from './test-kit.js';

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
  it('serves a second catch-up from documents built for the first, the same blocks', async () => {
    const { realm, a } = await server();
    const cache = a.replicator.docCache!;
    const b = await memoryPeer('b');
    await syncPair(b, a, realm);
    expect(cache.size).toBe(4);
    expect(cache.stats.hits).toBe(0);
    const c = await memoryPeer('c');
    await syncPair(c, a, realm);
    expect(cache.stats.hits).toBe(4);
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

  it('drops an entry that does not load into its heads, and a cleared cache only costs rebuilds', async () => {
    const { admin, realm, a } = await server();
    const cache = a.replicator.docCache!;
    const chain = await chainOf(a, realm, admin.publicKey);
    const full = buildBlockDoc(chain.slice(0, 8));
    const part = buildBlockDoc(chain.slice(0, 4));
    // Bucket 0 claims the heads of all 8 blocks but holds 4; bucket 1 is not a document at all.
    cache.put(realm, docKey(admin.publicKey, 0), {
      lastSeq: 7,
      lastId: chain[7]!.id,
      heads: Automerge.getHeads(full),
      bytes: Automerge.save(part),
    });
    cache.put(realm, docKey(admin.publicKey, 1), {
      lastSeq: 15,
      lastId: chain[15]!.id,
      heads: ['00'.repeat(32)],
      bytes: new Uint8Array([1, 2, 3]),
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
  it("sends what the responder's manifest lacks in the initiator's first turn", async () => {
    const { realm, a } = await server();
    const b = await memoryPeer('b');
    const [ca, cb] = channelPair();
    const sent: Uint8Array[] = [];
    await Promise.all([
      a.replicator.initiate(recording(ca, sent), 'b', realm),
      b.replicator.respond(cb, 'a'),
    ]);
    const first = sent.map(decodeMessage).find(isSync)!;
    expect(first.docs).toHaveLength(4);
    for (const [, message] of first.docs) {
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
    const [ca2, cb2] = channelPair();
    const second = Promise.all([
      a.replicator.initiate(ca2, 'b', realm),
      b.replicator.respond(cb2, 'a'),
    ]);
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
    // 1–3, which the initiator sends in its first turn.
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
    // 15 documents of 8 blocks: a turn of several frames.
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
    // a's first turn is sent at once; b reads until 8 blocks wait, then stops while the ledger holds.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    const frames = sent.length;
    expect(frames).toBeGreaterThan(3);
    expect(read).toBeLessThan(frames);
    release();
    await session;
    expect(await blockIds(b)).toEqual(await blockIds(a));
  });
});
