import { CodedError } from '../crypto/index.js';

/** Stable error codes of the command line itself. */
export const CliErrorCodes = {
  USAGE: 'USAGE',
  NOT_INITIALISED: 'NOT_INITIALISED',
  ALREADY_INITIALISED: 'ALREADY_INITIALISED',
  NOT_FOUND: 'NOT_FOUND',
  VERIFY_FAILED: 'VERIFY_FAILED',
  IMPORT_REJECTED: 'IMPORT_REJECTED',
  NODE_NOT_RUNNING: 'NODE_NOT_RUNNING',
} as const;

/** One of {@link CliErrorCodes}. */
export type CliErrorCode = (typeof CliErrorCodes)[keyof typeof CliErrorCodes];

/** An error the CLI reports with its code and exit status. */
export class CliError extends CodedError<CliErrorCode> {
  override readonly name = 'CliError';
  constructor(
    code: CliErrorCode,
    message: string,
    /** Process exit status (2 for usage errors, 1 otherwise). */
    readonly exitCode = code === 'USAGE' ? 2 : 1,
  ) {
    super(code, message);
  }
}
