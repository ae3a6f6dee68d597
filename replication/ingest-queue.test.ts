import { describe, expect, it } from 'vitest';
import type { RealmId } from '../crypto/index.js';
import { peekBlock } from '../ledger/index.js';
import type { Rejection, SignedBlock } from '../ledger/index.js';
import { IngestQueue } from './ingest-queue.js';
import type { SessionSink } from './ingest-queue.js';
import { defaultLimits } from './limits.js';
import { memoryPeer, syntheticChain } from './test-kit.js';

function sink() {
  const rejected: Rejection[] = [];
  const accepted: SignedBlock[] = [];
  const s: SessionSink = {
    accepted: (_realm: RealmId, blocks) => accepted.push(...blocks),
    rejected: (_realm: RealmId, r) => rejected.push(r),
    forks: () => Promise.resolve(),
  };
  return { s, accepted, rejected };
}

describe('IngestQueue', () => {
  it('hands the ledger a second call while the first is in flight, without holding back the blocks that follow it', async () => {
    const { realm, blocks } = await syntheticChain(40, 10, 3);
    const receiver = await memoryPeer('receiver');
    const calls: { ids: string[]; release: () => void }[] = [];
    const ingest = receiver.ledger.ingest.bind(receiver.ledger);
    receiver.ledger.ingest = (input, options) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      calls.push({
        ids: input.map((x) => (x instanceof Uint8Array ? peekBlock(x).id : x.id)),
        release,
      });
      const report = ingest(input, options);
      return gate.then(() => report);
    };
    const { s, accepted, rejected } = sink();
    const queue = new IngestQueue({
      ledger: receiver.ledger,
      realm,
      limits: defaultLimits,
      sink: s,
      truncated: () => false,
    });
    for (const b of blocks) queue.push(b.bytes);
    for (let i = 0; i < 20 && calls.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    // Two calls in flight, in chain order; the second was not parked as a gap
    // although the first one's blocks are not stored yet.
    expect(calls.length).toBe(2);
    // (The first call starts with the first block pushed; the second takes a full batch.)
    const inFlight = [...calls[0]!.ids, ...calls[1]!.ids];
    expect(calls[1]!.ids.length).toBe(16);
    expect(inFlight).toEqual(blocks.slice(0, inFlight.length).map((b) => b.id));
    const done = queue.finish();
    for (let i = 0; i < 50; i++) {
      for (const c of calls) c.release();
      await new Promise((r) => setTimeout(r, 2));
    }
    await done;
    expect(rejected).toEqual([]);
    expect(accepted.map((b) => b.id)).toEqual(blocks.map((b) => b.id));
    // Every block was offered once.
    expect(calls.flatMap((c) => c.ids).sort()).toEqual(blocks.map((b) => b.id).sort());
  });
});
