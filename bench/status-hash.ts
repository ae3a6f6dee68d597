import type { EventStore, SignedBlock } from '../ledger/index.js';
import { MemoryStore } from '../ledger/memory-store.js';
import { LiveProjection } from '../projections/index.js';
import { SettledProjectionHash } from '../replication/index.js';
import { statusProjectionOf } from '../cli/live-status-projection.js';
import { cpuClock } from './report.js';

/** Blocks that arrive between two statuses in {@link statusHashInSteps} (~50 ms of a catch-up). */
const STATUS_BLOCKS = 2;

/** CPU a node's statuses cost while a realm arrives, under one hashing policy. */
export interface StatusHashCost {
  readonly policy: 'every status' | 'settled';
  readonly events: number;
  readonly statuses: number;
  readonly cpuMs: number;
  /** The hash reported once the log stood still: equal under both policies. */
  readonly finalHash: string;
}

/**
 * What a node's status costs while it receives a realm: up to `maxEvents`
 * of `store`'s events appended to a fresh memory store
 * {@link STATUS_BLOCKS} blocks at a time, and a status after each append
 * (fold what arrived, then hash), timed alone (CPU). Two policies: the hash
 * recomputed at every status (finalising the whole view each time, as
 * before session 6), and {@link SettledProjectionHash} (recomputed when the
 * log stood still). Then one more status with nothing new, as the first
 * status after the log stopped.
 */
export async function statusHashInSteps(
  store: EventStore,
  maxEvents: number,
): Promise<StatusHashCost[]> {
  const blocks: SignedBlock[] = [];
  let events = 0;
  for await (const b of store.blocks()) {
    if (events >= maxEvents) break;
    blocks.push(b);
    events += b.header.count;
  }
  const out: StatusHashCost[] = [];
  for (const policy of ['every status', 'settled'] as const) {
    const target = await MemoryStore.open();
    const live = LiveProjection.empty();
    const settled = new SettledProjectionHash(statusProjectionOf(live, target));
    let cpuMs = 0;
    let statuses = 0;
    let finalHash = '';
    const status = async () => {
      const cpu = cpuClock();
      finalHash =
        policy === 'settled'
          ? (await settled.next()).hash
          : (await live.catchUp(target), live.hash());
      cpuMs += cpu();
      statuses++;
    };
    for (let i = 0; i < blocks.length; i += STATUS_BLOCKS) {
      await target.append(blocks.slice(i, i + STATUS_BLOCKS));
      await status();
    }
    // The last status comes after the last append, with nothing new.
    await status();
    await target.close();
    out.push({ policy, events, statuses, cpuMs, finalHash });
  }
  return out;
}
