import { afterEach, describe, expect, it } from 'vitest';
import { encodeCanonical } from '../crypto/index.js';
import type { EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import { storedChainBytes } from './block-bytes.js';
import { blockEvents } from './block.js';
import { BlockFacts } from './block-facts.js';
import type { SignedBlock } from './block.js';
import type { EventQuery, EventStore } from './store.js';
import {
  alice,
  bob,
  ChainBuilder,
  evaluationDraft,
  futureVersionRecord,
  genotype,
  invalidRecord,
  mutationDraft,
  realmA,
  realmB,
  seedDraft,
  unknownKindRecord,
} from './__fixtures__/sample-blocks.js';
import { collect, ids, plain, sampleWorld, select } from './__fixtures__/sample-world.js';
import type { Expected } from './__fixtures__/sample-world.js';

/**
 * The event-store contract, run against every {@link EventStore}.
 *
 * @param name shown in the test report
 * @param open a fresh, empty store
 * @param reopen for persistent stores: closes `store` and opens what it held
 */
export function describeEventStoreConformance(
  name: string,
  open: () => Promise<EventStore>,
  reopen?: (store: EventStore) => Promise<EventStore>,
): void {
  describe(`EventStore conformance: ${name}`, () => {
    let store: EventStore | undefined;
    const fresh = async () => (store = await open());
    const filled = async () => {
      const s = await fresh();
      const world = sampleWorld();
      for (const batch of world.batches) await s.append(batch);
      return { s, ...world };
    };

    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('starts empty', async () => {
      const s = await fresh();
      expect(await s.counts()).toEqual({ blocks: 0, events: 0 });
      expect(await collect(s.blocks())).toEqual([]);
      expect(await collect(s.events())).toEqual([]);
      expect(await collect(s.heads())).toEqual([]);
      expect(await s.head(realmA, alice.publicKey)).toBeUndefined();
    });

    it('reads back appended blocks byte for byte', async () => {
      const { s, blocks } = await filled();
      for (const block of blocks) {
        expect(await s.hasBlock(block.id)).toBe(true);
        const got = await s.getBlock(block.id);
        expect(got?.id).toBe(block.id);
        expect(plain(got?.bytes)).toEqual(plain(block.bytes));
        // Compared as plain values: sealBlock's root is a Buffer, a decoded one a Uint8Array.
        expect({ ...got?.header, root: Array.from(got?.header.root ?? []) }).toEqual({
          ...block.header,
          root: Array.from(block.header.root),
        });
        expect(plain(got?.headerBytes)).toEqual(plain(block.headerBytes));
        expect(got?.eventIds).toEqual(block.eventIds);
        const { realm, author, seq } = block.header;
        expect((await s.getBlockAt(realm, author, seq))?.id).toBe(block.id);
      }
      const absent = 'ee'.repeat(32) as SignedBlock['id'];
      expect(await s.hasBlock(absent)).toBe(false);
      expect(await s.getBlock(absent)).toBeUndefined();
      expect(await s.getBlockAt(realmA, alice.publicKey, 99)).toBeUndefined();
      expect(await s.getBlockAt(realmB, bob.publicKey, 0)).toBeUndefined();
    });

    it('counts blocks and events', async () => {
      const { s, blocks, expected } = await filled();
      expect(await s.counts()).toEqual({ blocks: blocks.length, events: expected.length });
    });

    it('skips blocks it already holds, across and within calls', async () => {
      const { s, blocks, expected } = await filled();
      await s.append(blocks);
      await s.append([blocks[1]!, blocks[1]!]);
      expect(await s.counts()).toEqual({ blocks: blocks.length, events: expected.length });
      expect((await collect(s.blocks())).map((b) => b.id)).toEqual(blocks.map((b) => b.id));
      expect(ids(await collect(s.events()))).toEqual(expected.map((e) => e.id));

      const s2 = await fresh();
      await s2.append([blocks[0]!, blocks[0]!, blocks[1]!]);
      expect(await s2.counts()).toEqual({ blocks: 2, events: 5 });
      await s2.close();
    });

    it('indexes events given their facts as it indexes the ones it decodes', async () => {
      const { blocks, expected } = sampleWorld();
      const s = await fresh();
      // Every other block comes with its events' facts, as the validator hands them over.
      await s.append(
        blocks,
        blocks.map((b, i) => (i % 2 === 0 ? BlockFacts.of(blockEvents(b)) : undefined)),
      );
      expect(ids(await collect(s.events()))).toEqual(expected.map((e) => e.id));
      for (const query of [{ genotype: genotype(4) }, { kind: 'seed' }] as EventQuery[]) {
        expect(ids(await collect(s.events(query)))).toEqual(select(expected, query));
      }
    });

    it("refuses events that are not the block's", async () => {
      const { blocks } = sampleWorld();
      const s = await fresh();
      await expect(
        s.append(
          [blocks[0]!, blocks[1]!],
          [BlockFacts.of(blockEvents(blocks[0]!)), BlockFacts.of(blockEvents(blocks[0]!))],
        ),
      ).rejects.toMatchObject({ code: 'SCHEMA_VIOLATION' });
      expect(await s.counts()).toEqual({ blocks: 0, events: 0 });
    });

    it('appends a call all-or-none', async () => {
      const s = await fresh();
      const chain = new ChainBuilder(alice, realmA);
      const good = chain.next([seedDraft(1)]);
      const bad = chain.next([evaluationDraft(1), invalidRecord()]);
      await expect(s.append([good, bad])).rejects.toMatchObject({ code: 'SCHEMA_VIOLATION' });
      expect(await s.hasBlock(good.id)).toBe(false);
      expect(await s.hasEvent(good.eventIds[0]!)).toBe(false);
      expect(await s.counts()).toEqual({ blocks: 0, events: 0 });
      expect(await s.head(realmA, alice.publicKey)).toBeUndefined();
      expect(await collect(s.events())).toEqual([]);
      // The store still works, and positions start at 0.
      await s.append([good]);
      expect((await s.getEvent(good.eventIds[0]!))?.position).toBe(0);
      expect(await s.counts()).toEqual({ blocks: 1, events: 1 });
    });

    it('keeps log (arrival) order, and streams from a position or one realm', async () => {
      const { s, blocks } = await filled();
      const order = blocks.map((b) => b.id);
      expect((await collect(s.blocks())).map((b) => b.id)).toEqual(order);
      expect((await collect(s.blocks({ fromPosition: 4 }))).map((b) => b.id)).toEqual(
        order.slice(4),
      );
      expect(await collect(s.blocks({ fromPosition: 99 }))).toEqual([]);
      const inB = blocks.filter((b) => b.header.realm === realmB).map((b) => b.id);
      expect((await collect(s.blocks({ realm: realmB }))).map((b) => b.id)).toEqual(inB);
      const inA = blocks.filter((b) => b.header.realm === realmA);
      expect(
        (await collect(s.blocks({ realm: realmA, fromPosition: 2 }))).map((b) => b.id),
      ).toEqual(inA.slice(2).map((b) => b.id));
    });

    it('streams chains in seq order and tracks heads', async () => {
      const { s, blocks } = await filled();
      const ofChain = (realm: RealmId, author: PublicKey) =>
        blocks.filter((b) => b.header.realm === realm && b.header.author === author);
      for (const [realm, author] of [
        [realmA, alice.publicKey],
        [realmA, bob.publicKey],
        [realmB, alice.publicKey],
      ] as const) {
        const chain = ofChain(realm, author);
        const got = await collect(s.chain(realm, author));
        expect(got.map((b) => b.header.seq)).toEqual(chain.map((_, i) => i));
        expect(got.map((b) => b.id)).toEqual(chain.map((b) => b.id));
        expect((await collect(s.chain(realm, author, 1))).map((b) => b.id)).toEqual(
          chain.slice(1).map((b) => b.id),
        );
        // As bytes: the same blocks, byte for byte, from any seq.
        for (const from of [0, 1]) {
          const raw = await collect(storedChainBytes(s, realm, author, from));
          expect(raw.map((b) => [b.id, b.seq, Buffer.from(b.bytes).toString('hex')])).toEqual(
            chain
              .slice(from)
              .map((b) => [b.id, b.header.seq, Buffer.from(b.bytes).toString('hex')]),
          );
        }
        const last = chain[chain.length - 1]!;
        expect(await s.head(realm, author)).toEqual({
          realm,
          author,
          seq: last.header.seq,
          id: last.id,
          nextEvent: last.header.first + last.header.count,
        });
      }
      expect(await collect(s.chain(realmB, bob.publicKey))).toEqual([]);
      expect(await s.head(realmB, bob.publicKey)).toBeUndefined();
      const key = (h: { realm: string; author: string }) => h.realm + h.author;
      const all = await collect(s.heads());
      expect(all.map(key).sort()).toEqual(
        [realmA + alice.publicKey, realmA + bob.publicKey, realmB + alice.publicKey].sort(),
      );
      // Heads come in (realm, author) order.
      expect(all.map(key)).toEqual(all.map(key).sort());
      const inB = await collect(s.heads(realmB));
      expect(inB).toEqual([await s.head(realmB, alice.publicKey)]);
    });

    it('streams every event in log order with its place', async () => {
      const { s, expected } = await filled();
      const events = await collect(s.events());
      expect(ids(events)).toEqual(expected.map((e) => e.id));
      events.forEach((e, i) => {
        const x = expected[i]!;
        expect([e.block, e.index, e.position]).toEqual([x.block.id, x.index, x.position]);
        expect([e.realm, e.author, e.kind, e.known]).toEqual([x.realm, x.author, x.kind, x.known]);
        expect(e.seq).toBe(x.block.header.first + x.index);
      });
    });

    const queries: [string, EventQuery][] = [
      ['kind', { kind: 'evaluation' }],
      ['kind (seed)', { kind: 'seed' }],
      ['kind (also future versions)', { kind: 'mutation' }],
      ['unknown kind', { kind: 'future-kind' }],
      ['absent kind', { kind: 'no-such-kind' }],
      ['author', { author: bob.publicKey }],
      ['realm', { realm: realmB }],
      ['genotype', { genotype: genotype(1) }],
      ['genotype (child and parent)', { genotype: genotype(4) }],
      ['absent genotype', { genotype: genotype(999) }],
      ['kind + author', { kind: 'mutation', author: alice.publicKey }],
      ['realm + author', { realm: realmA, author: alice.publicKey }],
      ['realm + author (no block)', { realm: realmB, author: bob.publicKey }],
      ['genotype + kind', { genotype: genotype(1), kind: 'evaluation' }],
      ['genotype + realm', { genotype: genotype(1), realm: realmA }],
      [
        'all four',
        { realm: realmA, author: alice.publicKey, kind: 'evaluation', genotype: genotype(7) },
      ],
    ];
    for (const [label, query] of queries) {
      it(`filters events by ${label}, in log order`, async () => {
        const { s, expected } = await filled();
        expect(ids(await collect(s.events(query)))).toEqual(select(expected, query));
      });
    }

    it('gets single events by id', async () => {
      const { s, expected } = await filled();
      for (const x of expected) {
        expect(await s.hasEvent(x.id)).toBe(true);
        const e = await s.getEvent(x.id);
        expect(e).toMatchObject({
          id: x.id,
          block: x.block.id,
          index: x.index,
          position: x.position,
          realm: x.realm,
          author: x.author,
          kind: x.kind,
          known: x.known,
          seq: x.block.header.first + x.index,
        });
      }
      const m = await s.getEvent(expected.find((x) => x.kind === 'mutation' && x.known)!.id);
      expect(m?.body).toEqual(mutationDraft(2, 3).body);
      expect(m?.deps).toEqual(mutationDraft(2, 3).deps);
      const absent = 'ef'.repeat(32) as EventId;
      expect(await s.hasEvent(absent)).toBe(false);
      expect(await s.getEvent(absent)).toBeUndefined();
    });

    it('treats malformed ids as absent', async () => {
      const { s } = await filled();
      const bad = 'not-an-id';
      expect(await s.hasBlock(bad as SignedBlock['id'])).toBe(false);
      expect(await s.getBlock(bad as SignedBlock['id'])).toBeUndefined();
      expect(await s.hasEvent(bad as EventId)).toBe(false);
      expect(await s.getEvent(bad as EventId)).toBeUndefined();
      expect(await s.head(bad as RealmId, alice.publicKey)).toBeUndefined();
      expect(await s.getBlockAt(realmA, bad as PublicKey, 0)).toBeUndefined();
      expect(await collect(s.chain(realmA, bad as PublicKey))).toEqual([]);
      expect(await collect(storedChainBytes(s, realmA, bad as PublicKey))).toEqual([]);
      expect(await collect(s.heads(bad as RealmId))).toEqual([]);
      expect(await collect(s.blocks({ realm: bad as RealmId }))).toEqual([]);
      expect(await collect(s.events({ genotype: bad as GenotypeId }))).toEqual([]);
      expect(await collect(s.events({ author: bad as PublicKey, kind: 'seed' }))).toEqual([]);
    });

    it('keeps unknown kinds and future versions, byte-identical', async () => {
      const { s, expected } = await filled();
      const future = expected.filter((x) => !x.known);
      expect(future).toHaveLength(2);
      const [kindless, versioned] = future as [Expected, Expected];
      const e = await s.getEvent(kindless.id);
      expect(e).toMatchObject({ kind: 'future-kind', known: false, v: 1, body: { x: 1 } });
      const f = await s.getEvent(versioned.id);
      expect(f).toMatchObject({ kind: 'mutation', known: false, v: 99 });
      const block = await s.getBlock(kindless.block.id);
      expect(plain(block?.records[kindless.index])).toEqual(plain(unknownKindRecord()));
      expect(plain(block?.records[versioned.index])).toEqual(plain(futureVersionRecord()));
      expect(plain(block?.bytes)).toEqual(plain(kindless.block.bytes));
    });

    it('finds events whose kind name is very long', async () => {
      const s = await fresh();
      const kind = 'k'.repeat(300);
      const block = new ChainBuilder(alice, realmA).next([
        seedDraft(1),
        encodeCanonical({ v: 1, kind, deps: [], body: {} }),
      ]);
      await s.append([block]);
      expect(ids(await collect(s.events({ kind })))).toEqual([block.eventIds[1]]);
      expect(ids(await collect(s.events({ kind, author: alice.publicKey })))).toEqual([
        block.eventIds[1],
      ]);
    });

    it('keeps meta values beside the log', async () => {
      const s = await fresh();
      expect(await s.getMeta('cursor')).toBeUndefined();
      const value = Uint8Array.of(1, 2, 3);
      await s.putMeta('cursor', value);
      value[0] = 9; // the store keeps what was put, not the caller's buffer
      expect(await s.getMeta('cursor')).toEqual(Uint8Array.of(1, 2, 3));
      await s.putMeta('cursor', Uint8Array.of(4));
      await s.putMeta('ünïcode/key', new Uint8Array(0));
      expect(await s.getMeta('cursor')).toEqual(Uint8Array.of(4));
      expect(await s.getMeta('ünïcode/key')).toEqual(new Uint8Array(0));
      await s.deleteMeta('cursor');
      await s.deleteMeta('never-set');
      expect(await s.getMeta('cursor')).toBeUndefined();
      expect(await s.counts()).toEqual({ blocks: 0, events: 0 });
      expect(await collect(s.blocks())).toEqual([]);
    });

    it('serialises concurrent appends', async () => {
      const s = await fresh();
      const { blocks, expected } = sampleWorld();
      await Promise.all(blocks.map((b) => s.append([b])));
      expect(await s.counts()).toEqual({ blocks: blocks.length, events: expected.length });
      const positions = (await collect(s.events())).map((e) => e.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(positions)).toEqual(new Set(blocks.map((_, i) => i)));
    });

    it('fails a bad call alone among concurrent ones', async () => {
      const s = await fresh();
      const { blocks } = sampleWorld();
      const bad = new ChainBuilder(bob, realmB).next([invalidRecord()]);
      const results = await Promise.allSettled([
        s.append([blocks[0]!]),
        s.append([bad]),
        s.append([blocks[1]!, blocks[0]!]),
        s.append([blocks[1]!]),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect(results[1]).toMatchObject({ reason: { code: 'SCHEMA_VIOLATION' } });
      expect(await s.hasBlock(bad.id)).toBe(false);
      expect((await collect(s.blocks())).map((b) => b.id)).toEqual([blocks[0]!.id, blocks[1]!.id]);
      expect(await s.counts()).toEqual({ blocks: 2, events: 5 });
    });

    it('lets pending appends finish on close, then refuses work', async () => {
      const s = await fresh();
      const { blocks } = sampleWorld();
      const pending = s.append(blocks);
      await s.close();
      await expect(pending).resolves.toBeUndefined();
      await expect(s.append(blocks)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(s.hasBlock(blocks[0]!.id)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });

    if (reopen !== undefined) {
      it('keeps everything across close and reopen, and appends after it', async () => {
        const { s, blocks, expected, aliceA } = await filled();
        await s.putMeta('k', Uint8Array.of(7));
        const headsBefore = await collect(s.heads());
        const s2 = (store = await reopen(s));
        expect(await s2.counts()).toEqual({ blocks: blocks.length, events: expected.length });
        expect(ids(await collect(s2.events()))).toEqual(expected.map((e) => e.id));
        expect(ids(await collect(s2.events({ genotype: genotype(1) })))).toEqual(
          select(expected, { genotype: genotype(1) }),
        );
        expect(await collect(s2.heads())).toEqual(headsBefore);
        expect(await s2.getMeta('k')).toEqual(Uint8Array.of(7));
        await s2.append(blocks);
        const next = aliceA.next([evaluationDraft(42)]);
        await s2.append([next]);
        expect((await s2.getEvent(next.eventIds[0]!))?.position).toBe(blocks.length);
        expect((await s2.head(realmA, alice.publicKey))?.id).toBe(next.id);
        expect(await s2.counts()).toEqual({
          blocks: blocks.length + 1,
          events: expected.length + 1,
        });
        const s3 = (store = await reopen(s2));
        expect((await s3.head(realmA, alice.publicKey))?.id).toBe(next.id);
        expect(
          ids(await collect(s3.events({ kind: 'evaluation', author: alice.publicKey }))),
        ).toEqual([
          ...select(expected, { kind: 'evaluation', author: alice.publicKey }),
          next.eventIds[0],
        ]);
      });
    }
  });
}
