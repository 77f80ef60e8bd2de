import type { IncomingHttpHeaders } from 'node:http';
import type { LinkPulseError } from '../errors.js';
import { type BodyProblem, bodyError } from './reply.js';

// Labels of UTF-8 (the WHATWG Encoding standard also knows `utf8`).
const UTF8_LABELS: ReadonlySet<string> = new Set(['utf-8', 'utf8']);

function contentTypeProblem(header: string | undefined): BodyProblem | null {
  const [mediaType = '', ...parameters] = (header ?? '').split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') return 'not_json';
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (!UTF8_LABELS.has(charset)) return 'not_utf8';
  }
  return null;
}

/**
 * What both adapters check on a route that takes a JSON body, before the body is read (and
 * in Express also when the app's own parser already read it), in this order:
 * `Content-Type` is `application/json` (any case, other parameters ignored) without a
 * charset or in UTF-8, as RFC 8259 requires of JSON; there is no `Content-Encoding`
 * (`identity` aside); a `Content-Length` is not over `bodyLimit`. The type comes first, so
 * a large body of the wrong type is refused for its type. Returns the error to answer
 * (`invalid_body` or `payload_too_large`), or `null`.
 */
export function checkJsonBodyHeaders(
  headers: IncomingHttpHeaders,
  bodyLimit: number,
): LinkPulseError | null {
  const problem = contentTypeProblem(headers['content-type']);
  if (problem !== null) return bodyError(problem);
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== 'identity') return bodyError('encoded');
  if (Number(headers['content-length']) > bodyLimit) return bodyError('too_large');
  return null;
}

/**
 * Parses a request body, the same way in both adapters: a leading byte-order mark is
 * skipped; an empty or malformed body throws `invalid_body` (`LinkPulseError`). Any JSON
 * value is returned; the route's schema refuses what is not an object. A `__proto__` key
 * stays an own property (as `JSON.parse` defines it), which the schema refuses as an
 * unknown field.
 */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw bodyError('malformed');
  }
}
