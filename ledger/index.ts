export {
  blockEvents,
  decodeBlock,
  decodeBlockHeader,
  inclusionProof,
  peekBlock,
  sealBlock,
  verifyBlock,
  verifyInclusion,
  verifyInclusionUnder,
} from './block.js';
export type {
  BlockPeek,
  BlockHeader,
  ChainHead,
  DecodeBlockOptions,
  InclusionProof,
  SignedBlock,
} from './block.js';
export { LedgerError, LedgerErrorCodes, Limits } from './errors.js';
export type { LedgerErrorCode } from './errors.js';
export { isKind } from './event.js';
export type {
  EventDraft,
  EventEnvelope,
  EventOf,
  EventSink,
  KnownEvent,
  LedgerEvent,
  UnknownEvent,
} from './event.js';
export type { EvaluationBody } from './kinds/evaluation.js';
export type { EvidenceBody, SignedHeader } from './kinds/evidence.js';
export { checkEvidence, evidenceOf } from './evidence.js';
export type { GenesisBody } from './kinds/genesis.js';
export { defineKind } from './kinds/kind.js';
export type { KindCodec } from './kinds/kind.js';
export type { MembershipBody } from './kinds/membership.js';
export type { AppliedOp, MutationBody } from './kinds/mutation.js';
export { codecOf, kinds } from './kinds/registry.js';
export type { BodyOf, KnownKind } from './kinds/registry.js';
export type { RunBody, TaskRef } from './kinds/run.js';
export type { SeedBody } from './kinds/seed.js';
export type { SelectionBody } from './kinds/selection.js';
export { Ledger } from './ledger.js';
export type {
  ForkEvidence,
  IngestOptions,
  IngestReport,
  LedgerOptions,
  Rejection,
} from './ledger.js';
export { createRealm, RealmState, realmIdOf } from './realm.js';
export type { CreateRealmOptions } from './realm.js';
export { decodeRecord, encodeRecord, eventIdBytes, eventIdOf, storedRecordKind } from './record.js';
export type { DecodeRecordOptions } from './record.js';
export {
  blockBytesOf,
  storedBlockBytes,
  storedBlockEvents,
  storedBlockRecords,
  storedChainBytes,
} from './block-bytes.js';
export type {
  BlockInfo,
  BlockRange,
  ChainBlockBytes,
  EventQuery,
  EventStore,
  StoreCounts,
  StoredBlockBytes,
  StoredEvent,
} from './store.js';
export { LedgerWriter } from './writer.js';
export type { WriterOptions } from './writer.js';
export {
  exportLog,
  importLog,
  importLogStream,
  LOG_MAGIC,
  readFrames,
  writeLog,
} from './log-file.js';
export type { DamagedFrame, ImportOptions, ImportReport } from './log-file.js';
export { verifyStore } from './verify.js';
export type { VerifyProblem, VerifyProgress } from './verify.js';
export { MemoryStore } from './memory-store.js';
export { LevelStore } from './level-store.js';
export type { LevelStoreOptions } from './level-store.js';
export { movableCopy, serveThreadPool, threadPool, workerModule } from './thread-pool.js';
export type { ThreadPool, WorkerModule } from './thread-pool.js';
