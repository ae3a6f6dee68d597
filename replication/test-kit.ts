import { Identity } from '../crypto/index.js';
import type { RealmId } from '../crypto/index.js';
import { createRealm, Ledger } from '../ledger/index.js';
import type { SignedBlock } from '../ledger/index.js';
import { MemoryStore } from '../ledger/memory-store.js';
import { channelPair } from './memory-channel.js';
import { writeSynthetic } from './synthetic.js';
import { createReplicator } from './replicator.js';
import type { Replicator, ReplicatorInit } from './replicator.js';
import type { SessionOutcome } from './sync-session.js';

/** An identity from a small number (tests and benches only: the secret is public). */
export function testIdentity(n: number): Identity {
  const secret = new Uint8Array(32);
  new DataView(secret.buffer).setUint32(28, n + 1);
  secret[0] = 0xe5;
  return Identity.fromSecret(secret);
}

/** An in-memory peer: a ledger over a memory store and its replicator. */
export interface MemoryPeer {
  readonly name: string;
  readonly ledger: Ledger;
  readonly replicator: Replicator;
}

/** A peer over a fresh memory store. */
export async function memoryPeer(name: string, init: ReplicatorInit = {}): Promise<MemoryPeer> {
  const ledger = await Ledger.open(await MemoryStore.open());
  return { name, ledger, replicator: createReplicator({ ledger }, init) };
}

/** A realm whose genesis `admin` signs; returns its id and genesis block. */
export function testRealm(
  admin: Identity,
  open = true,
  name = 'test',
): { realm: RealmId; block: SignedBlock } {
  const { realm, block } = createRealm(admin, { name, open });
  return { realm, block };
}

/** One sync session over a fake transport, `a` initiating with `b`: both sides' outcomes (undefined: failed). */
export function syncOnce(
  a: MemoryPeer,
  b: MemoryPeer,
  realm: RealmId,
): Promise<[SessionOutcome | undefined, SessionOutcome | undefined]> {
  const [ca, cb] = channelPair();
  return Promise.all([a.replicator.initiate(ca, b.name, realm), b.replicator.respond(cb, a.name)]);
}

/** Runs sessions between two in-memory peers (fake transport) until neither has more to send. */
export async function syncPair(
  a: MemoryPeer,
  b: MemoryPeer,
  realm: RealmId,
  maxSessions = 50,
): Promise<SessionOutcome[]> {
  const outcomes: SessionOutcome[] = [];
  for (let i = 0; i < maxSessions; i++) {
    const [out] = await syncOnce(a, b, realm);
    if (out === undefined) throw new Error(`session ${a.name}→${b.name} failed`);
    outcomes.push(out);
    if (!out.more) break;
  }
  return outcomes;
}

/** Every block id a store holds, sorted. */
export async function blockIds(peer: MemoryPeer): Promise<string[]> {
  const ids: string[] = [];
  for await (const b of peer.ledger.store.blocks()) ids.push(b.id);
  return ids.sort();
}

/**
 * A realm whose genesis identity `n` signs, then `blocks` blocks of
 * `blockSize` synthetic events by the same author: the whole chain, genesis
 * first, from an in-memory peer that holds it.
 */
export async function syntheticChain(
  blocks: number,
  blockSize: number,
  n = 1,
): Promise<{ realm: RealmId; admin: Identity; blocks: SignedBlock[] }> {
  const admin = testIdentity(n);
  const { realm, block } = testRealm(admin);
  const peer = await memoryPeer('chain');
  await peer.ledger.ingest([block]);
  await writeSynthetic(peer.ledger, admin, realm, blocks * blockSize, { blockSize });
  const out: SignedBlock[] = [];
  for await (const b of peer.ledger.store.chain(realm, admin.publicKey)) out.push(b);
  return { realm, admin, blocks: out };
}
