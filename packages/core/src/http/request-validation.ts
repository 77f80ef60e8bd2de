import { type RequestPart, validateRequestPart } from './json-schema.js';
import type { RouteSpec } from './routes.js';

/** The parts of a request a route's schemas check. */
export interface RouteInput {
  params: unknown;
  query: unknown;
  body: unknown;
}

/**
 * Validates params, query string and body against the route's schemas, in that order
 * (the order Fastify uses), and returns them coerced. Throws `invalid_body` or
 * `invalid_query` (`LinkPulseError`) for the first offending field.
 */
export function validateRouteInput(route: RouteSpec, input: RouteInput): RouteInput {
  const check = (schema: RouteSpec['params'], value: unknown, part: RequestPart) =>
    schema === undefined ? value : validateRequestPart(schema, value, part);
  const params = check(route.params, input.params, 'params');
  const body = check(route.body, input.body, 'body');
  const query = check(route.querystring, input.query, 'querystring');
  return { params, query, body };
}

/**
 * A Fastify-style validator compiler (`({ schema, httpPart }) => validate`) over
 * {@link validateRequestPart}, so Fastify routes validate exactly as Express routes do.
 * The validator returns `{ value }` or `{ error }` (a `LinkPulseError`).
 */
export function compileRequestValidator(route: { schema: unknown; httpPart?: string }) {
  const part = route.httpPart as RequestPart;
  const schema = route.schema as RouteSpec['body'] & object;
  return (data: unknown): { value: unknown } | { error: Error } => {
    try {
      return { value: validateRequestPart(schema, data, part) };
    } catch (error) {
      return { error: error as Error };
    }
  };
}
