import { CodedError } from '../crypto/index.js';

/**
 * Stable error codes of the ledger. Callers and tests branch on the code; the
 * message is for humans and says what to do.
 */
export const LedgerErrorCodes = {
  /** A block's signature does not verify under its author key. */
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  /** A block's Merkle root or event count does not match its events. */
  BAD_ROOT: 'BAD_ROOT',
  /** The author's previous block is missing (sequence gap). */
  CHAIN_GAP: 'CHAIN_GAP',
  /** The author signed two different blocks with the same sequence number. */
  CHAIN_FORK: 'CHAIN_FORK',
  /** The block names the wrong previous block or event sequence. */
  WRONG_PREV: 'WRONG_PREV',
  /** An event depends on an event the store does not hold. */
  UNKNOWN_DEPENDENCY: 'UNKNOWN_DEPENDENCY',
  /** Bytes do not decode, or an event body does not match its kind's schema. */
  SCHEMA_VIOLATION: 'SCHEMA_VIOLATION',
  /** An event or block is larger than the limits allow. */
  OVERSIZED: 'OVERSIZED',
  /** A block belongs to another realm than the one expected. */
  WRONG_REALM: 'WRONG_REALM',
  /** The author is not a member of a closed realm. */
  NOT_A_MEMBER: 'NOT_A_MEMBER',
  /** The realm has no genesis event yet. */
  UNKNOWN_REALM: 'UNKNOWN_REALM',
  /** A requested block or event is not in the store. */
  NOT_FOUND: 'NOT_FOUND',
  /** A log file is not an evoledger log, or is truncated. */
  BAD_LOG_FILE: 'BAD_LOG_FILE',
  /** The store could not be opened (locked by another process, or damaged). */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
} as const;

/** One of {@link LedgerErrorCodes}. */
export type LedgerErrorCode = (typeof LedgerErrorCodes)[keyof typeof LedgerErrorCodes];

/** An error raised by `ledger/`, carrying a stable {@link LedgerErrorCode}. */
export class LedgerError extends CodedError<LedgerErrorCode> {
  override readonly name = 'LedgerError';
}

/** Limits that keep one peer from exhausting another's memory. */
export const Limits = {
  /** Largest encoded event record. */
  maxEventBytes: 256 * 1024,
  /** Largest encoded block (header, signature and all records). */
  maxBlockBytes: 8 * 1024 * 1024,
  /** Most events in one block. */
  maxBlockEvents: 10_000,
  /** Most dependencies of one event. */
  maxDeps: 10_000,
} as const;
