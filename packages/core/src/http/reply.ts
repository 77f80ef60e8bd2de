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

/** Why a framework could not take a request body. */
export type BodyProblem = 'too_large' | 'not_json' | 'malformed';

const BODY_PROBLEMS: Record<BodyProblem, [ErrorCode, string]> = {
  too_large: ['payload_too_large', 'body is larger than the body limit'],
  not_json: ['invalid_body', 'body must be a JSON object sent as application/json'],
  malformed: ['invalid_body', 'body is not valid JSON'],
};

/**
 * The error for a body the framework refused before validation (over the limit, not
 * JSON, unparseable), worded the same in both adapters.
 */
export function bodyError(problem: BodyProblem): LinkPulseError {
  const [code, message] = BODY_PROBLEMS[problem];
  return new LinkPulseError(code, message);
}

/** The error for a request `authorize` refused. */
export function unauthorizedError(): LinkPulseError {
  return new LinkPulseError('unauthorized', 'a valid API key is required');
}
