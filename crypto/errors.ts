import { CodedError } from './coded-error.js';

/** Stable error codes of the crypto layer. The code is API; the message is for humans. */
export const CryptoErrorCodes = {
  NON_CANONICAL: 'NON_CANONICAL',
  UNENCODABLE: 'UNENCODABLE',
  BAD_KEY: 'BAD_KEY',
  KEY_FILE_PERMISSIONS: 'KEY_FILE_PERMISSIONS',
  KEY_FILE_MISSING: 'KEY_FILE_MISSING',
  BAD_HEX: 'BAD_HEX',
} as const;

/** One of {@link CryptoErrorCodes}. */
export type CryptoErrorCode = (typeof CryptoErrorCodes)[keyof typeof CryptoErrorCodes];

/** An error raised by `crypto/`, carrying a stable {@link CryptoErrorCode}. */
export class CryptoError extends CodedError<CryptoErrorCode> {
  override readonly name = 'CryptoError';
}
