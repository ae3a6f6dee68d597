export { blockChange, buildBlockDoc, docEntries } from './block-doc.js';
export type { BlockDoc, DocEntry } from './block-doc.js';
export { DenyList } from './deny-list.js';
export { bucketOf, docKey, parseDocKey } from './doc-key.js';
export { createHost } from './host.js';
export type { Host, HostInit } from './host.js';
export type { DocKey } from './doc-key.js';
export { ReplicationError, ReplicationErrorCodes } from './errors.js';
export type { ReplicationErrorCode } from './errors.js';
export { TypedEventTarget } from './events.js';
export type {
  BlockRejectedDetail,
  BlocksAcceptedDetail,
  ReplicationEvents,
  SessionEndDetail,
} from './events.js';
export { EVIDENCE_META_KEY, EvidenceLog } from './evidence.js';
export type { EvidenceRecord } from './evidence.js';
export { FrameDecoder, framePrefix } from './frame-channel.js';
export type { FrameChannel } from './frame-channel.js';
export { BLOCKS_PER_DOC, defaultLimits } from './limits.js';
export type { ReplicationLimits } from './limits.js';
export { docsToSync, manifestDigest, readManifest } from './manifest.js';
export type { ChainSummary, Manifest } from './manifest.js';
export {
  decodeMessage,
  encodeMessage,
  isEnd,
  isHello,
  isIdle,
  isSync,
  SYNC_PROTOCOL,
} from './messages.js';
export type {
  EndMessage,
  HelloMessage,
  IdleMessage,
  SyncMessage,
  WireMessage,
} from './messages.js';
export { createNode, EvoledgerNode } from './node.js';
export type { NodeComponents, NodeInit, SyncProgress } from './node.js';
export { PeerGuard } from './peer-guard.js';
export { authorOfPeer, libp2pKeyOf } from './peer-key.js';
export { eventSetHash } from './projection-hash.js';
export { realmCid, realmTopic } from './realm-cid.js';
export { createReplicator, Replicator } from './replicator.js';
export type { ReplicatorComponents, ReplicatorInit, ReplicatorStats } from './replicator.js';
export { processAlive, readStatusFile, writeStatusFile } from './status.js';
export { MOVING_HASH_EVERY, SettledProjectionHash } from './status-projection.js';
export type { ProjectionStamp, StatusProjection } from './status-projection.js';
export type { NodeStatus } from './status.js';
export { streamChannel } from './stream-channel.js';
export { syntheticDraft, writeSynthetic } from './synthetic.js';
export { initiateSession, respondSession } from './sync-session.js';
export type { SessionSink } from './ingest-queue.js';
export type { IngestBacklog, SessionContext, SessionOutcome } from './sync-session.js';
