/**
 * Fastify 5 plugin for LinkPulse: the management API and the redirect route, with JSON
 * schemas for validation, fast serialisation and the OpenAPI document.
 * @module @linkpulse/fastify
 */
import { isLinkPulseError, type LinkPulseError, type Shortener } from '@linkpulse/core';
import {
  bodyError,
  checkJsonBodyHeaders,
  compileRequestValidator,
  createRedirectHandler,
  createRouteHandlers,
  errorReply,
  type HttpReply,
  type LinkPulseHttpOptions,
  parseJsonBody,
  type RouteSpec,
  resolveHttpOptions,
  unauthorizedError,
} from '@linkpulse/core/http';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
} from 'fastify';
import fp from 'fastify-plugin';

export { createOpenApiDocument } from '@linkpulse/core/http';

/** Options of the {@link linkpulse} plugin. */
export interface LinkpulseFastifyOptions extends LinkPulseHttpOptions<FastifyRequest> {
  /** The shortener the routes talk to; also decorated as `app.linkpulse`. */
  shortener: Shortener;
  /** Close the shortener (flush clicks, close stores) when the app closes. Default `true`. */
  closeShortener?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The shortener the LinkPulse plugin serves. */
    linkpulse: Shortener;
  }
}

function send(reply: FastifyReply, response: HttpReply): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}

function responseSchemas(route: RouteSpec): Record<number, unknown> {
  const response: Record<number, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    if (spec.schema) response[Number(status)] = spec.schema;
  }
  return response;
}

function schemaOf(route: RouteSpec): FastifySchema {
  return {
    ...(route.params && { params: route.params }),
    ...(route.querystring && { querystring: route.querystring }),
    ...(route.body && { body: route.body }),
    response: responseSchemas(route),
  };
}

// The plugin's own errors, and Fastify's for bodies it could not read, in the contract's
// terms.
function contractError(error: FastifyError): LinkPulseError | null {
  if (isLinkPulseError(error)) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return bodyError('too_large');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return bodyError('not_json');
  if (error.code?.startsWith('FST_ERR_CTP_')) return bodyError('malformed');
  return null;
}

async function plugin(app: FastifyInstance, options: LinkpulseFastifyOptions): Promise<void> {
  const { shortener, closeShortener = true } = options;
  const resolved = resolveHttpOptions(options, (request: FastifyRequest) => request.headers);
  const handlers = createRouteHandlers(shortener, resolved);
  const redirect = createRedirectHandler(shortener, resolved);
  const { authorize } = resolved;

  app.decorate('linkpulse', shortener);
  if (closeShortener) app.addHook('onClose', () => shortener.close());

  // The routes live in their own encapsulated context, so the validator compiler and
  // the error handler below apply to them and never to the host app's routes.
  await app.register(
    async (routes) => {
      routes.setValidatorCompiler(compileRequestValidator);
      routes.setErrorHandler((error: FastifyError, _request, reply) => {
        const mapped = contractError(error);
        if (mapped === null) throw error;
        return send(reply, errorReply(mapped));
      });
      // The body checks and JSON parsing of both adapters (`@linkpulse/core/http`), in
      // place of Fastify's and the host app's JSON parser for these routes.
      routes.removeContentTypeParser('application/json');
      routes.addContentTypeParser(
        'application/json',
        { parseAs: 'string' },
        // A route that takes no body (DELETE) ignores an empty one, as Express does.
        async (request: FastifyRequest, body: string) =>
          body === '' && request.routeOptions.schema?.body === undefined
            ? undefined
            : parseJsonBody(body),
      );
      const checkBody = async (request: FastifyRequest) => {
        const refused = checkJsonBodyHeaders(request.headers, resolved.bodyLimit);
        if (refused !== null) throw refused;
      };
      const checkAccess = async (request: FastifyRequest, reply: FastifyReply) => {
        if (authorize !== null && !(await authorize(request))) {
          return send(reply, errorReply(unauthorizedError()));
        }
      };
      for (const route of resolved.routes) {
        if (route.id === 'redirect') {
          routes.route({
            method: [...route.methods],
            url: route.path,
            // No params schema, so no validator in front of the hot route: a code that is
            // not well formed is a 404 `not_found` from the redirect handler.
            schema: { response: responseSchemas(route) },
            exposeHeadRoute: false,
            // Synchronous when the cache answers; a promise only when the store is asked.
            handler(request, reply) {
              const { code } = request.params as { code: string };
              const answer = redirect(code, request.method, request.raw);
              if (answer instanceof Promise) {
                return answer.then((response) => {
                  send(reply, response);
                });
              }
              send(reply, answer);
            },
          });
          continue;
        }
        const handler = handlers[route.id];
        routes.route({
          method: [...route.methods],
          url: route.path,
          schema: schemaOf(route),
          bodyLimit: resolved.bodyLimit,
          exposeHeadRoute: !route.methods.includes('HEAD'),
          ...(authorize !== null && { onRequest: checkAccess }),
          ...(route.body && { preParsing: checkBody }),
          handler: async (request, reply) =>
            send(
              reply,
              await handler({
                method: request.method,
                params: request.params as Record<string, string>,
                query: request.query,
                body: request.body,
                raw: request.raw,
                mountPath: routes.prefix,
              }),
            ),
        });
      }
    },
    { prefix: resolved.prefix },
  );
}

/**
 * The LinkPulse Fastify plugin: `app.register(linkpulse, { shortener, ...options })`.
 * Serves the management routes under `prefix + /api/links` and the redirect at
 * `prefix + /:code`, decorates `app.linkpulse` and closes the shortener on `onClose`.
 */
export const linkpulse = fp(plugin, { fastify: '5.x', name: '@linkpulse/fastify' });

export default linkpulse;
