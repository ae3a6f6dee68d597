/**
 * The base of every evoledger error: a stable `code` callers branch on, and a
 * message for humans. Each folder declares its codes and a subclass in its
 * own `errors.ts`; it lives here because every folder may import `crypto/`.
 */
export abstract class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
