import type { ErrorCode } from '../errors.js';
import type { JsonSchema } from './json-schema.js';
import {
  codeParamsSchema,
  createLinkBodySchema,
  errorSchema,
  linkPageSchema,
  linkSchema,
  listQuerySchema,
  statsQuerySchema,
  statsSchema,
  updateLinkBodySchema,
} from './schemas.js';

/** Names of the LinkPulse HTTP routes (also their OpenAPI `operationId`). */
export type RouteId =
  | 'createLink'
  | 'listLinks'
  | 'getLink'
  | 'updateLink'
  | 'deleteLink'
  | 'linkStats'
  | 'redirect';

/** The routes behind `authorize`, under `/api/links`: every route but the redirect. */
export type ManagementRouteId = Exclude<RouteId, 'redirect'>;

/** HTTP methods the routes use. */
export type RouteMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';

/** One documented response of a route. */
export interface RouteResponse {
  description: string;
  /** Body schema; absent for responses without a body. */
  schema?: JsonSchema;
  /** Error codes this status carries (error responses only). */
  errors?: readonly ErrorCode[];
  /** Response headers worth documenting, name → description. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * One route of the HTTP contract: the single description both adapters register from,
 * Fastify validates and serialises with, and the OpenAPI document is generated from.
 */
export interface RouteSpec {
  id: RouteId;
  methods: readonly RouteMethod[];
  /** Path below the adapter's prefix, with `:code` parameters (Express and Fastify syntax). */
  path: string;
  /** `management` routes are behind `authorize`; `redirect` routes are public. */
  group: 'management' | 'redirect';
  summary: string;
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  responses: Readonly<Record<number, RouteResponse>>;
}

const error = (description: string, ...errors: ErrorCode[]): RouteResponse => ({
  description,
  schema: errorSchema,
  errors,
});

const unauthorized = error('Missing or wrong API key', 'unauthorized');
const notFound = error('No link with this code', 'not_found');
const tooLarge = error('Body larger than the body limit', 'payload_too_large');
const linkResponse = (description: string): RouteResponse => ({ description, schema: linkSchema });

const CACHE_CONTROL =
  '`private, max-age=90` for 302 and 307; `no-store` for 301 and 308, so that browsers do not keep a permanent redirect and every click reaches the server';
const redirectResponse = (description: string): RouteResponse => ({
  description,
  headers: { Location: 'The target URL', 'Cache-Control': CACHE_CONTROL },
});

/** The HTTP contract, route by route. */
export const ROUTES: readonly RouteSpec[] = [
  {
    id: 'createLink',
    methods: ['POST'],
    path: '/api/links',
    group: 'management',
    summary: 'Create a short link',
    body: createLinkBodySchema,
    responses: {
      201: {
        ...linkResponse('The created link'),
        headers: { Location: 'URL of the new link resource' },
      },
      400: error(
        'Invalid target URL, alias or body',
        'invalid_url',
        'invalid_code',
        'invalid_body',
      ),
      401: unauthorized,
      409: error('The alias is taken', 'code_taken'),
      413: tooLarge,
    },
  },
  {
    id: 'listLinks',
    methods: ['GET'],
    path: '/api/links',
    group: 'management',
    summary: 'List links in code order, a page at a time',
    querystring: listQuerySchema,
    responses: {
      200: { description: 'One page of links', schema: linkPageSchema },
      400: error('Invalid cursor or limit', 'invalid_query'),
      401: unauthorized,
    },
  },
  {
    id: 'getLink',
    methods: ['GET'],
    path: '/api/links/:code',
    group: 'management',
    summary: 'Read a link',
    params: codeParamsSchema,
    responses: { 200: linkResponse('The link'), 401: unauthorized, 404: notFound },
  },
  {
    id: 'updateLink',
    methods: ['PATCH'],
    path: '/api/links/:code',
    group: 'management',
    summary: 'Change a link (every node forgets the cached version)',
    params: codeParamsSchema,
    body: updateLinkBodySchema,
    responses: {
      200: linkResponse('The updated link'),
      400: error('Invalid target URL or body', 'invalid_url', 'invalid_body'),
      401: unauthorized,
      404: notFound,
      413: tooLarge,
    },
  },
  {
    id: 'deleteLink',
    methods: ['DELETE'],
    path: '/api/links/:code',
    group: 'management',
    summary: 'Delete a link',
    params: codeParamsSchema,
    responses: { 204: { description: 'Deleted' }, 401: unauthorized, 404: notFound },
  },
  {
    id: 'linkStats',
    methods: ['GET'],
    path: '/api/links/:code/stats',
    group: 'management',
    summary: 'Click stats of a link',
    params: codeParamsSchema,
    querystring: statsQuerySchema,
    responses: {
      200: { description: 'Stats over the range', schema: statsSchema },
      400: error('Invalid range, interval or top', 'invalid_query'),
      401: unauthorized,
      404: notFound,
      503: error('No stats reader is configured', 'unavailable'),
    },
  },
  {
    id: 'redirect',
    methods: ['GET', 'HEAD'],
    path: '/:code',
    group: 'redirect',
    summary: 'Follow a short link (HEAD does not use up maxClicks)',
    params: codeParamsSchema,
    responses: {
      301: redirectResponse('Permanent redirect (links created with redirectStatus 301)'),
      302: redirectResponse('Redirect (the default)'),
      307: redirectResponse('Temporary redirect keeping the method'),
      308: redirectResponse('Permanent redirect keeping the method'),
      404: notFound,
      410: error('The link expired, was disabled or reached maxClicks', 'gone'),
      503: error('The link store cannot answer and nothing is cached', 'unavailable'),
    },
  },
];
