/**
 * The framework-independent HTTP layer both adapters (`@linkpulse/express`,
 * `@linkpulse/fastify`) are built on: the route table and its JSON schemas, request
 * validation, the handlers, the redirect decision, API-key check, proxy trust, error
 * bodies and the OpenAPI document.
 * @module @linkpulse/core/http
 */

export * from './auth.js';
export * from './handlers.js';
export * from './json-body.js';
export * from './json-schema.js';
export * from './link-json.js';
export * from './openapi.js';
export * from './options.js';
export * from './proxy-trust.js';
export * from './redirect.js';
export * from './redirect-handler.js';
export * from './reply.js';
export * from './request-validation.js';
export * from './routes.js';
export * from './schemas.js';
