import { Limits } from '../ledger/index.js';

/**
 * Resource bounds of replication: what one peer may cost another. Every
 * number here is enforced on input from the network.
 */
export interface ReplicationLimits {
  /** Largest frame on the sync stream (a sync message may carry a whole document). */
  readonly maxFrameBytes: number;
  /** Largest document a peer may make us hold (sum of its block bytes). */
  readonly maxDocBytes: number;
  /** Documents synced in one session; more differing documents mean another session. */
  readonly maxDocsPerSession: number;
  /** Cap on blocks admitted from one peer in one session (the "per sync round" cap). */
  readonly maxBlocksPerSession: number;
  /** Frames one session may exchange before it is abandoned as stalled. */
  readonly maxFramesPerSession: number;
  /** Wall-clock bound of one session, in ms. */
  readonly sessionTimeoutMs: number;
  /** Inbound sessions a peer may open per window. */
  readonly sessionsPerWindow: number;
  /** Length of the rate window, in ms. */
  readonly rateWindowMs: number;
  /** How long a peer that sent invalid blocks is refused, in ms (doubles per offence, up to 60 s). */
  readonly penaltyMs: number;
  /** Blocks a session keeps parked, waiting for a predecessor, a dependency or a membership. */
  readonly maxPendingBlocks: number;
  /** Blocks received and waiting for the ledger before a session stops reading its stream (backpressure). */
  readonly maxQueuedBlocks: number;
  /** Largest gossip announcement. */
  readonly maxAnnounceBytes: number;
}

/** Blocks per document: a realm's author chain is cut into documents of this many consecutive blocks. */
export const BLOCKS_PER_DOC = 8;

/** The defaults; a node may tighten them through its init. */
export const defaultLimits: ReplicationLimits = {
  maxFrameBytes: BLOCKS_PER_DOC * Limits.maxBlockBytes + 1024 * 1024,
  maxDocBytes: BLOCKS_PER_DOC * Limits.maxBlockBytes,
  maxDocsPerSession: 32,
  maxBlocksPerSession: 4 * 32 * BLOCKS_PER_DOC,
  maxFramesPerSession: 4096,
  sessionTimeoutMs: 60_000,
  sessionsPerWindow: 20,
  rateWindowMs: 10_000,
  penaltyMs: 2_000,
  maxPendingBlocks: 4096,
  maxQueuedBlocks: 128,
  maxAnnounceBytes: 64 * 1024,
};
