import { type ErrorCode, LinkPulseError } from '../errors.js';

/** A framework-independent HTTP response; each adapter sends it with its own API. */
export interface HttpReply {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Sent as JSON; absent for responses without a body (redirects, 204). */
  body?: unknown;
}

/** The body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** `{ "error": { "code", "message" } }` for an error. */
export function errorBody(error: LinkPulseError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}

/** The reply for an error: its status, its body, and `Cache-Control: no-store`. */
export function errorReply(error: LinkPulseError): HttpReply {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (error.code === 'unauthorized') headers['www-authenticate'] = 'Bearer realm="linkpulse"';
  return { status: error.status, headers, body: errorBody(error) };
}

/** Why a request body was refused before validation. */
export type BodyProblem = 'too_large' | 'not_json' | 'not_utf8' | 'encoded' | 'malformed';

const BODY_PROBLEMS: Record<BodyProblem, [ErrorCode, string]> = {
  too_large: ['payload_too_large', 'body is larger than the body limit'],
  not_json: ['invalid_body', 'body must be a JSON object sent as application/json'],
  not_utf8: ['invalid_body', 'body must be JSON in UTF-8: no charset, or charset=utf-8'],
  encoded: ['invalid_body', 'body must be sent without Content-Encoding'],
  malformed: ['invalid_body', 'body is not valid JSON'],
};

/**
 * The error for a body refused before validation (over the limit, not JSON, not UTF-8,
 * compressed, unparseable), worded the same in both adapters.
 */
export function bodyError(problem: BodyProblem): LinkPulseError {
  const [code, message] = BODY_PROBLEMS[problem];
  return new LinkPulseError(code, message);
}

/** The error for a request `authorize` refused. */
export function unauthorizedError(): LinkPulseError {
  return new LinkPulseError('unauthorized', 'a valid API key is required');
}
