/**
 * Express 5 router and redirect middleware for LinkPulse.
 * @module @linkpulse/express
 */
import { isLinkPulseError, type LinkPulseError, type Shortener } from '@linkpulse/core';
import {
  bodyError,
  checkJsonBodyHeaders,
  createRedirectHandler,
  createRouteHandlers,
  errorReply,
  type HttpReply,
  type LinkPulseHttpOptions,
  parseJsonBody,
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

// The router's own errors, and body-parser's refusal of a body over the limit that came
// without a Content-Length, in the contract's terms.
function contractError(error: unknown): LinkPulseError | null {
  if (isLinkPulseError(error)) return error;
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'entity.too.large' ? bodyError('too_large') : null;
}

/**
 * An Express 5 router serving the LinkPulse HTTP contract: the management routes under
 * `prefix + /api/links` and the redirect at `prefix + /:code`. Mount it with
 * `app.use(linkpulseRouter(shortener, options))`, or under a path with
 * `app.use('/go', …)`. Errors are answered in the contract (a failing store as 503
 * `unavailable`); only errors that are not LinkPulse errors (thrown by a custom
 * `Shortener`, say) go to the app's error handler through `next(error)`.
 */
export function linkpulseRouter(
  shortener: Shortener,
  options: LinkpulseExpressOptions = {},
): Router {
  const resolved = resolveHttpOptions(options, (request: Request) => request.headers);
  const handlers = createRouteHandlers(shortener, resolved);
  const { authorize } = resolved;
  const router = express.Router();
  // Reads the body as text, after `readJson` checked that it is uncompressed UTF-8 JSON.
  const readText = express.text({ type: () => true, limit: resolved.bodyLimit, inflate: false });

  // The body checks and JSON parsing of both adapters (`@linkpulse/core/http`). When the
  // app's own body parser (`express.json()`) has read the body, its result stands, but the
  // content type and the Content-Length are still checked.
  const readJson: RequestHandler = (req, res, next) => {
    const refused = checkJsonBodyHeaders(req.headers, resolved.bodyLimit);
    if (refused !== null) {
      next(refused);
    } else if (req.readableEnded) {
      next();
    } else {
      readText(req, res, (error?: unknown) => {
        if (error !== undefined) return next(error);
        try {
          req.body = parseJsonBody(typeof req.body === 'string' ? req.body : '');
        } catch (parseError) {
          return next(parseError);
        }
        next();
      });
    }
  };

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
    if (route.body) chain.push(readJson);
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
