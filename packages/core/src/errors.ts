/**
 * Stable, machine-readable error codes. Each maps to exactly one HTTP status (see
 * {@link errorStatus}); adapters answer `{ "error": { "code", "message" } }` with it.
 */
export type ErrorCode =
  | 'invalid_url'
  | 'invalid_code'
  | 'invalid_body'
  | 'invalid_query'
  | 'unauthorized'
  | 'not_found'
  | 'code_taken'
  | 'gone'
  | 'payload_too_large'
  | 'unavailable';

const STATUS: Record<ErrorCode, number> = {
  invalid_url: 400,
  invalid_code: 400,
  invalid_body: 400,
  invalid_query: 400,
  unauthorized: 401,
  not_found: 404,
  code_taken: 409,
  gone: 410,
  payload_too_large: 413,
  unavailable: 503,
};

/** The HTTP status that belongs to an {@link ErrorCode}. */
export function errorStatus(code: ErrorCode): number {
  return STATUS[code];
}

/**
 * The one error type LinkPulse throws for bad input and unavailable backends.
 * `code` is stable across versions; `status` is the HTTP status an adapter answers with.
 */
export class LinkPulseError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** HTTP status that belongs to `code`. */
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LinkPulseError';
    this.code = code;
    this.status = STATUS[code];
  }
}

/** True when `error` is a {@link LinkPulseError}, optionally with the given code. */
export function isLinkPulseError(error: unknown, code?: ErrorCode): error is LinkPulseError {
  return error instanceof LinkPulseError && (code === undefined || error.code === code);
}
