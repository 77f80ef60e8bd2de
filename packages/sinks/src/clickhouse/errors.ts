import { LinkPulseError } from '@linkpulse/core';

/**
 * ClickHouse error types worth retrying: the server is busy, short of memory or parts,
 * a replica or Keeper is away, or the connection broke. Every other server error (bad
 * credentials, missing database or table, malformed SQL or data) is permanent.
 */
const TRANSIENT_TYPES = new Set([
  'TOO_MANY_PARTS',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'TIMEOUT_EXCEEDED',
  'SOCKET_TIMEOUT',
  'NETWORK_ERROR',
  'NO_FREE_CONNECTION',
  'ALL_CONNECTION_TRIES_FAILED',
  'MEMORY_LIMIT_EXCEEDED',
  'CANNOT_ALLOCATE_MEMORY',
  'TABLE_IS_READ_ONLY',
  'UNKNOWN_STATUS_OF_INSERT',
  'KEEPER_EXCEPTION',
  'QUERY_WAS_CANCELLED',
  'ABORTED',
  'SERVER_OVERLOADED',
]);

/** The part of `@clickhouse/client`'s `ClickHouseError` this module relies on. */
interface ServerError {
  /** Numeric code as a string, e.g. `"81"`. */
  code: string;
  /** Symbolic name, e.g. `"UNKNOWN_DATABASE"`. */
  type: string;
}

/**
 * A server error in `@clickhouse/client`'s shape. Checked by shape, not `instanceof`:
 * `chdb/connection` throws its own copy of the `ClickHouseError` class.
 */
function isServerError(error: unknown): error is Error & ServerError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServerError>).type === 'string' &&
    typeof (error as Partial<ServerError>).code === 'string' &&
    /^\d+$/.test((error as Partial<ServerError>).code!)
  );
}

/**
 * True when `error` may go away on its own: a transient server error (see the list
 * above) or a failure on the way to the server (connection refused or reset, DNS, socket
 * or request timeout, a proxy's 5xx). Server errors of other types are permanent, and so
 * are the errors of a bug on this side (`TypeError`, `SyntaxError`, `RangeError`, …).
 */
export function isTransientError(error: unknown): boolean {
  if (isServerError(error)) return TRANSIENT_TYPES.has(error.type);
  return !(
    error instanceof TypeError ||
    error instanceof SyntaxError ||
    error instanceof RangeError ||
    error instanceof ReferenceError
  );
}

/**
 * True when `error` is a failure to connect (refused, unreachable, DNS): the request never
 * reached the server, so nothing of it can have landed.
 */
export function failedToConnect(error: unknown): boolean {
  const syscall = (error as { syscall?: unknown } | null)?.syscall;
  return syscall === 'connect' || syscall === 'getaddrinfo';
}

/**
 * What the ClickHouse sink and reader throw when the server fails them. `permanent` says
 * whether retrying can help: `true` for bad credentials, a missing database or table,
 * rejected SQL or data; `false` for transient failures that outlasted the retries.
 * `clickhouseType` is the server's error name (e.g. `UNKNOWN_DATABASE`) when there is one.
 */
export class ClickHouseSinkError extends LinkPulseError {
  /** Retrying the same call cannot succeed. */
  readonly permanent: boolean;
  /** ClickHouse error name, when the server answered with one. */
  readonly clickhouseType: string | undefined;

  constructor(message: string, options: { permanent: boolean; cause: unknown }) {
    super('unavailable', message, { cause: options.cause });
    this.name = 'ClickHouseSinkError';
    this.permanent = options.permanent;
    this.clickhouseType = isServerError(options.cause) ? options.cause.type : undefined;
  }
}
