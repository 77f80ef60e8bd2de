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

// Marks every LinkPulseError. A registry symbol is the same in every copy of this package
// (its ES module and CommonJS builds loaded side by side, two installed versions), where
// the class is not.
const BRAND = Symbol.for('linkpulse.error');

const hasBrand = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;

/**
 * The one error type LinkPulse throws for bad input and unavailable backends.
 * `code` is stable across versions; `status` is the HTTP status an adapter answers with.
 * Prefer {@link isLinkPulseError} to `instanceof`; both recognise the errors of every copy
 * of `@linkpulse/core` in the process.
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
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * `error instanceof LinkPulseError` is true for a LinkPulseError of any copy of the
   * package (say, thrown by the CommonJS build, checked against the ES module build); for
   * a subclass, `instanceof` keeps its ordinary meaning.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `super` checks the prototype chain against the class on the right of `instanceof`.
    // biome-ignore lint/complexity/noThisInStatic: only that class itself takes the brand, not a subclass
    return super[Symbol.hasInstance](value) || (this === LinkPulseError && hasBrand(value));
  }
}

/**
 * True when `error` is a {@link LinkPulseError}, optionally with the given code, also when
 * another copy of `@linkpulse/core` created it.
 */
export function isLinkPulseError(error: unknown, code?: ErrorCode): error is LinkPulseError {
  return hasBrand(error) && (code === undefined || (error as LinkPulseError).code === code);
}
