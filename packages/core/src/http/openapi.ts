import type { JsonSchema } from './json-schema.js';
import { ROUTES, type RouteSpec } from './routes.js';
import { errorSchema, linkPageSchema, linkSchema, statsSchema } from './schemas.js';

/** Options of {@link createOpenApiDocument}. */
export interface OpenApiOptions {
  /** The adapter's `prefix` (default `''`). */
  prefix?: string;
  /** Server URL listed in the document, e.g. `https://sho.rt`. */
  serverUrl?: string;
  /** API version shown in `info.version` (default `1.0.0`). */
  version?: string;
  /** Routes to describe (default all of {@link ROUTES}). */
  routes?: readonly RouteSpec[];
}

/** An OpenAPI 3.1 document as plain JSON. */
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
};

const NAMED_SCHEMAS = new Map<JsonSchema, string>([
  [linkSchema, 'Link'],
  [linkPageSchema, 'LinkPage'],
  [statsSchema, 'LinkStats'],
  [errorSchema, 'Error'],
]);

const schemaRef = (schema: JsonSchema): unknown => {
  const name = NAMED_SCHEMAS.get(schema);
  return name === undefined ? schema : { $ref: `#/components/schemas/${name}` };
};

/** A named schema as its component: the named schemas inside it become `$ref`s. */
function component(schema: JsonSchema): unknown {
  const nested = (inner: JsonSchema): unknown =>
    NAMED_SCHEMAS.has(inner) ? schemaRef(inner) : component(inner);
  return {
    ...schema,
    ...(schema.properties && {
      properties: Object.fromEntries(
        Object.entries(schema.properties).map(([key, inner]) => [key, nested(inner)]),
      ),
    }),
    ...(schema.items && { items: nested(schema.items) }),
  };
}

function parameters(route: RouteSpec): unknown[] {
  const list: unknown[] = [];
  const add = (where: 'path' | 'query', schema: JsonSchema | undefined) => {
    for (const [name, property] of Object.entries(schema?.properties ?? {})) {
      const { description, ...rest } = property;
      list.push({
        name,
        in: where,
        required: where === 'path' || (schema?.required ?? []).includes(name),
        description,
        schema: rest,
      });
    }
  };
  add('path', route.params);
  add('query', route.querystring);
  return list;
}

function operation(route: RouteSpec, method: string): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const errors = response.errors ? ` (error codes: ${response.errors.join(', ')})` : '';
    responses[status] = {
      description: response.description + errors,
      ...(response.headers && {
        headers: Object.fromEntries(
          Object.entries(response.headers).map(([name, description]) => [
            name,
            { description, schema: { type: 'string' } },
          ]),
        ),
      }),
      ...(response.schema && {
        content: { 'application/json': { schema: schemaRef(response.schema) } },
      }),
    };
  }
  return {
    operationId: method === 'head' ? `${route.id}Head` : route.id,
    summary: route.summary,
    tags: [route.group],
    parameters: parameters(route),
    ...(route.body && {
      requestBody: {
        required: true,
        content: { 'application/json': { schema: route.body } },
      },
    }),
    responses,
    security: route.group === 'management' ? [{ bearerKey: [] }, { headerKey: [] }, {}] : [],
  };
}

/**
 * The OpenAPI 3.1 document of the LinkPulse HTTP contract, generated from the same
 * route table and schemas the adapters serve and validate with. Management routes list
 * both API-key forms and, for servers without a key, no security at all.
 */
export function createOpenApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const paths: OpenApiDocument['paths'] = {};
  for (const route of options.routes ?? ROUTES) {
    const path = prefix + route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    for (const method of route.methods) {
      paths[path][method.toLowerCase()] = operation(route, method.toLowerCase());
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'LinkPulse',
      version: options.version ?? '1.0.0',
      description:
        'Short links with click analytics. Every error body is `{ "error": { "code", "message" } }`.',
    },
    ...(options.serverUrl && { servers: [{ url: options.serverUrl }] }),
    paths,
    components: {
      schemas: Object.fromEntries(
        [...NAMED_SCHEMAS].map(([schema, name]) => [name, component(schema)]),
      ),
      securitySchemes: {
        bearerKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer <api key>',
        },
        headerKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
  };
}
