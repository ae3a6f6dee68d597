import { CodedError } from '../crypto/index.js';

/**
 * Stable error codes of `replication/`. Callers and tests branch on the code;
 * the message is for humans and says what to do.
 */
export const ReplicationErrorCodes = {
  /** A frame on the sync protocol is larger than {@link ReplicationLimits.maxFrameBytes}. */
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  /** A frame does not decode into a known sync message, or arrives out of turn. */
  PROTOCOL_VIOLATION: 'PROTOCOL_VIOLATION',
  /** A peer's document would grow past {@link ReplicationLimits.maxDocBytes}. */
  DOC_TOO_LARGE: 'DOC_TOO_LARGE',
  /** A peer sent more than its rate allows, or is penalised for invalid blocks. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A sync session took more rounds or time than allowed. */
  SYNC_STALLED: 'SYNC_STALLED',
  /** The stream closed before the session ended. */
  STREAM_CLOSED: 'STREAM_CLOSED',
  /** The operation was aborted through its signal. */
  ABORTED: 'ABORTED',
  /** A node option or config file is invalid. */
  BAD_CONFIG: 'BAD_CONFIG',
  /** The realm's genesis is not held here. */
  UNKNOWN_REALM: 'UNKNOWN_REALM',
  /** Only an admin of the realm may do this. */
  NOT_AN_ADMIN: 'NOT_AN_ADMIN',
  /** The node is not running. */
  NOT_STARTED: 'NOT_STARTED',
} as const;

/** One of {@link ReplicationErrorCodes}. */
export type ReplicationErrorCode =
  (typeof ReplicationErrorCodes)[keyof typeof ReplicationErrorCodes];

/** An error raised by `replication/`, carrying a stable {@link ReplicationErrorCode}. */
export class ReplicationError extends CodedError<ReplicationErrorCode> {
  override readonly name = 'ReplicationError';
}
