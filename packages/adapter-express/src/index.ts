/**
 * Express 5 router and redirect middleware for LinkPulse.
 * @module @linkpulse/express
 */
import { LinkPulseError, type Shortener } from '@linkpulse/core';
import {
  bodyError,
  createRedirectHandler,
  createRouteHandlers,
  errorReply,
  type HttpReply,
  type LinkPulseHttpOptions,
  type RouteMethod,
  type RouteSpec,
  resolveHttpOptions,
  unauthorizedError,
  validateRouteInput,
} from '@linkpulse/core/http';
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';

export { createOpenApiDocument } from '@linkpulse/core/http';

/** Options of {@link linkpulseRouter}. */
export type LinkpulseExpressOptions = LinkPulseHttpOptions<Request>;

/** Options of {@link linkpulseRedirect}: the management-only options do not apply. */
export type LinkpulseRedirectOptions = Omit<
  LinkpulseExpressOptions,
  'redirects' | 'management' | 'authorize' | 'apiKey' | 'bodyLimit'
>;

const VERBS: Record<RouteMethod, 'get' | 'head' | 'post' | 'patch' | 'delete'> = {
  GET: 'get',
  HEAD: 'head',
  POST: 'post',
  PATCH: 'patch',
  DELETE: 'delete',
};

function send(res: Response, reply: HttpReply): void {
  res.status(reply.status).set(reply.headers);
  if (reply.body === undefined) res.end();
  else res.json(reply.body);
}

// body-parser's errors (`type` says what went wrong) in the contract's terms.
function contractError(error: unknown): LinkPulseError | null {
  if (error instanceof LinkPulseError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return bodyError('too_large');
  if (type === 'entity.parse.failed') return bodyError('malformed');
  if (typeof type === 'string' && /^(encoding|charset)\./.test(type)) return bodyError('not_json');
  return null;
}

/**
 * An Express 5 router serving the LinkPulse HTTP contract: the management routes under
 * `prefix + /api/links` and the redirect at `prefix + /:code`. Mount it with
 * `app.use(linkpulseRouter(shortener, options))`, or under a path with
 * `app.use('/go', …)`. Errors it does not own (a failing store) go to the app's error
 * handler through `next(error)`.
 */
export function linkpulseRouter(
  shortener: Shortener,
  options: LinkpulseExpressOptions = {},
): Router {
  const resolved = resolveHttpOptions(options, (request: Request) => request.headers);
  const handlers = createRouteHandlers(shortener, resolved);
  const { authorize } = resolved;
  const router = express.Router();
  const parseJson = express.json({ limit: resolved.bodyLimit });

  const checkAccess: RequestHandler = async (req, res, next) => {
    if (authorize !== null && !(await authorize(req))) {
      send(res, errorReply(unauthorizedError()));
    } else {
      next();
    }
  };

  // Synchronous when the cache answers; a promise (Express 5 hands its rejection to
  // `next`) only when the store is asked.
  const redirect = createRedirectHandler(shortener, resolved);
  const handleRedirect: RequestHandler = (req, res) => {
    const { code } = req.params as { code: string };
    const answer = redirect(code, req.method, req);
    if (answer instanceof Promise) return answer.then((reply) => send(res, reply));
    send(res, answer);
  };

  const register = (route: RouteSpec, chain: RequestHandler[]) => {
    const expressRoute = router.route(resolved.prefix + route.path);
    for (const method of route.methods) expressRoute[VERBS[method]](...chain);
  };

  // The redirect is registered first, so that a redirect is not matched against every
  // management route before its own. The order changes no answer: `/:code` is one path
  // segment, every management path (`/api/links…`) has two or more.
  const redirectRoute = resolved.routes.find((route) => route.id === 'redirect');
  if (redirectRoute) register(redirectRoute, [handleRedirect]);

  for (const route of resolved.routes) {
    if (route.id === 'redirect') continue;
    const handler = handlers[route.id];
    const chain: RequestHandler[] = [];
    if (authorize !== null) chain.push(checkAccess);
    if (route.body) chain.push(parseJson);
    chain.push(async (req, res) => {
      const input = validateRouteInput(route, {
        params: req.params,
        query: req.query,
        body: req.body,
      });
      const reply = await handler({
        method: req.method,
        params: input.params as Record<string, string>,
        query: input.query,
        body: input.body,
        raw: req,
        mountPath: req.baseUrl + resolved.prefix,
      });
      send(res, reply);
    });
    register(route, chain);
  }

  const onError: ErrorRequestHandler = (error, _req, res, next) => {
    const mapped = contractError(error);
    if (mapped === null) next(error);
    else send(res, errorReply(mapped));
  };
  router.use(onError);
  return router;
}

/**
 * Only the redirect route (`GET`/`HEAD prefix + /:code`), for apps that manage links in
 * code and only need short URLs to work: `app.use(linkpulseRedirect(shortener))`.
 */
export function linkpulseRedirect(
  shortener: Shortener,
  options: LinkpulseRedirectOptions = {},
): Router {
  return linkpulseRouter(shortener, { ...options, management: false });
}
