import { CodedError } from '../crypto/index.js';

/** Stable error codes of the evolution engine. The code is API; the message is for humans. */
export const EvolutionErrorCodes = {
  INVALID_TASK_MODULE: 'INVALID_TASK_MODULE',
  UNKNOWN_TASK: 'UNKNOWN_TASK',
  INVALID_TASK_PARAMS: 'INVALID_TASK_PARAMS',
  UNKNOWN_OPERATOR: 'UNKNOWN_OPERATOR',
  INVALID_OPERATOR_PARAMS: 'INVALID_OPERATOR_PARAMS',
  INVALID_GENOTYPE: 'INVALID_GENOTYPE',
  UNKNOWN_ACTIVATION: 'UNKNOWN_ACTIVATION',
  UNKNOWN_SELECTION: 'UNKNOWN_SELECTION',
  INVALID_CONFIG: 'INVALID_CONFIG',
  REPLAY_MISMATCH: 'REPLAY_MISMATCH',
  INVALID_RESUME: 'INVALID_RESUME',
  WORKER_FAILED: 'WORKER_FAILED',
} as const;

/** One of {@link EvolutionErrorCodes}. */
export type EvolutionErrorCode = (typeof EvolutionErrorCodes)[keyof typeof EvolutionErrorCodes];

/** An error raised by `evolution/`, carrying a stable {@link EvolutionErrorCode}. */
export class EvolutionError extends CodedError<EvolutionErrorCode> {
  override readonly name = 'EvolutionError';
}
