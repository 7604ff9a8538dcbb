/**
 * The one error catalog. Every error Holdfast raises is a HoldfastError whose
 * `code` is a key of ERRORS; the table fixes its exit code (restic's codes for
 * the CLI), its HTTP status and whether retrying can help.
 */

export interface ErrorSpec {
  readonly exitCode: number;
  readonly httpStatus: number;
  readonly permanent: boolean;
  readonly summary: string;
}

export const ERRORS = {
  INVALID_ARGUMENT: { exitCode: 1, httpStatus: 400, permanent: true, summary: 'A request or command argument is not valid.' },
  REPOSITORY_NOT_FOUND: { exitCode: 10, httpStatus: 404, permanent: true, summary: 'There is no repository at the given location.' },
  REPOSITORY_EXISTS: { exitCode: 1, httpStatus: 409, permanent: true, summary: 'A repository already exists at the given location.' },
  WRONG_PASSWORD: { exitCode: 12, httpStatus: 401, permanent: true, summary: 'No key of the repository opens with the given password.' },
  UNSUPPORTED_REPOSITORY: { exitCode: 1, httpStatus: 422, permanent: true, summary: 'The repository uses a format version or feature Holdfast does not support.' },
  INVALID_DATA: { exitCode: 1, httpStatus: 500, permanent: true, summary: 'Stored data failed its integrity check (hash or MAC mismatch, malformed structure).' },
  NOT_FOUND: { exitCode: 1, httpStatus: 404, permanent: true, summary: 'The named file, blob, snapshot or path does not exist.' },
  AMBIGUOUS_ID: { exitCode: 1, httpStatus: 400, permanent: true, summary: 'A shortened id matches more than one object.' },
  REPOSITORY_LOCKED: { exitCode: 11, httpStatus: 409, permanent: false, summary: 'Another process holds a conflicting lock on the repository.' },
  BACKEND_IO: { exitCode: 1, httpStatus: 503, permanent: false, summary: 'The storage backend failed to read or write a file.' },
  NO_SPACE: { exitCode: 1, httpStatus: 507, permanent: true, summary: 'The storage backend ran out of space.' },
  SOURCE_UNREADABLE: { exitCode: 3, httpStatus: 500, permanent: true, summary: 'Some source files could not be read; the snapshot was saved without them.' },
  CHECK_FAILED: { exitCode: 1, httpStatus: 500, permanent: true, summary: 'The repository check found errors.' },
  CANCELED: { exitCode: 130, httpStatus: 499, permanent: true, summary: 'The operation was canceled.' },
  ALREADY_EXISTS: { exitCode: 1, httpStatus: 409, permanent: true, summary: 'An object with the same unique name or key already exists.' },
  CONFLICT: { exitCode: 1, httpStatus: 409, permanent: false, summary: 'The request conflicts with work in progress (e.g. another mutating job on the same resource).' },
  PRECONDITION_FAILED: { exitCode: 1, httpStatus: 412, permanent: true, summary: 'A conditional request (e.g. If-Match with an etag) does not match the current state.' },
  IDEMPOTENCY_MISMATCH: { exitCode: 1, httpStatus: 422, permanent: true, summary: 'An idempotency key was reused with a different request.' },
  UNAUTHENTICATED: { exitCode: 1, httpStatus: 401, permanent: true, summary: 'The request carries no valid credentials.' },
  FORBIDDEN: { exitCode: 1, httpStatus: 403, permanent: true, summary: 'The credentials are valid but their role may not do this (e.g. an admin-only route).' },
  INTERNAL: { exitCode: 1, httpStatus: 500, permanent: true, summary: 'An unexpected internal error.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class HoldfastError extends Error {
  readonly code: ErrorCode;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; data?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HoldfastError';
    this.code = code;
    this.data = Object.freeze({ ...options.data });
  }

  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }

  get permanent(): boolean {
    return ERRORS[this.code].permanent;
  }
}

/** Builds a catalog error; the short form used at every throw site. */
export function fail(code: ErrorCode, message: string, options?: { cause?: unknown; data?: Record<string, unknown> }): HoldfastError {
  return new HoldfastError(code, message, options);
}

export function isHoldfastError(err: unknown, code?: ErrorCode): err is HoldfastError {
  return err instanceof HoldfastError && (code === undefined || err.code === code);
}

/** Adds context to an error while keeping its code (wrap at every hop). */
export function withContext(err: unknown, context: string): HoldfastError {
  if (err instanceof HoldfastError) {
    return new HoldfastError(err.code, `${context}: ${err.message}`, { cause: err, data: { ...err.data } });
  }
  return new HoldfastError('INTERNAL', `${context}: ${errorMessage(err)}`, { cause: err });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
