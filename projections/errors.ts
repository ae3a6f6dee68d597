import { CodedError } from '../crypto/index.js';

/**
 * Stable error codes of the projections. Callers and tests branch on the
 * code; the message is for humans and says what to do.
 */
export const ProjectionErrorCodes = {
  /** A replayed genotype id, selection or fitness differs from the recorded one. */
  REPLAY_DIVERGED: 'REPLAY_DIVERGED',
  /** A genotype is named but no seed or mutation event brings it in. */
  UNKNOWN_GENOTYPE: 'UNKNOWN_GENOTYPE',
  /** A run id names no run in the projections. */
  UNKNOWN_RUN: 'UNKNOWN_RUN',
  /** A run has no selection of the requested generation on its kept branch. */
  UNKNOWN_GENERATION: 'UNKNOWN_GENERATION',
  /** A stored projection cache cannot be used (other version, other log); it is rebuilt. */
  STALE_CACHE: 'STALE_CACHE',
  /** An event's block signature, Merkle proof or author chain does not check out. */
  VERIFICATION_FAILED: 'VERIFICATION_FAILED',
  /** The operation was aborted through its AbortSignal. */
  ABORTED: 'ABORTED',
} as const;

/** One of {@link ProjectionErrorCodes}. */
export type ProjectionErrorCode = (typeof ProjectionErrorCodes)[keyof typeof ProjectionErrorCodes];

/** An error raised by `projections/`, carrying a stable {@link ProjectionErrorCode}. */
export class ProjectionError extends CodedError<ProjectionErrorCode> {
  override readonly name = 'ProjectionError';
}
