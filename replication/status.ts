import { readFile, rename, writeFile } from 'node:fs/promises';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import type { EvidenceRecord } from './evidence.js';

/** What a running node reports about itself (`evoledger status`). */
export interface NodeStatus {
  readonly pid: number;
  readonly peerId: string;
  readonly addrs: readonly string[];
  readonly realms: readonly RealmId[];
  /** Connected peers (peer ids). */
  readonly peers: readonly string[];
  readonly blocks: number;
  readonly events: number;
  /** Chain heads of the replicated realms; `nextEvent` is how many events the author has there. */
  readonly heads: readonly {
    realm: RealmId;
    author: PublicKey;
    seq: number;
    id: BlockId;
    nextEvent: number;
  }[];
  /** Blocks refused for good, by code, each counted once. */
  readonly rejected: Readonly<Record<string, number>>;
  /** Authors caught signing two blocks for one seq. */
  readonly evidence: readonly EvidenceRecord[];
  /**
   * Hash of the node's projections of its replicated realms, as of
   * `projectionBlocks`: recomputed when no event arrived during the last
   * status interval, and only now and then while events stream in.
   */
  readonly projectionHash: string;
  /**
   * The store blocks `projectionHash` covers (a store position, as `blocks`):
   * the hash is of everything this status counts when it equals `blocks`.
   */
  readonly projectionBlocks: number;
  readonly sync: {
    readonly sessions: number;
    readonly failedSessions: number;
    readonly blocksAccepted: number;
    readonly eventsAccepted: number;
    readonly bytesSent: number;
    readonly bytesReceived: number;
  };
  /** Peers refused for a while for sending invalid blocks. */
  readonly penalised: readonly { peer: string; offences: number }[];
  /** Wall-clock time of this report, for humans (ISO 8601). */
  readonly updatedAt: string;
}

/** Writes a status file atomically (write, then rename), so readers never see half of one. */
export async function writeStatusFile(path: string, status: NodeStatus): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(status) + '\n');
  await rename(tmp, path);
}

/** Reads a status file; `undefined` when there is none. */
export async function readStatusFile(path: string): Promise<NodeStatus | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as NodeStatus;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** True when a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
