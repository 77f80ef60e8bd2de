import { REDIRECT_STATUSES } from '../links/link.js';
import { STATS_INTERVALS } from '../sinks/stats.js';
import { MAX_STATS_TOP } from '../sinks/stats-builder.js';
import type { JsonSchema } from './json-schema.js';

const dateTime = (description: string): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  description,
});

const url: JsonSchema = {
  type: 'string',
  format: 'uri',
  description: 'Absolute http(s) URL without credentials or control characters',
};
const redirectStatus: JsonSchema = {
  type: 'integer',
  enum: REDIRECT_STATUSES,
  description: 'Status of the redirect response (default 302)',
};
const expiresAt: JsonSchema = {
  type: ['string', 'null'],
  format: 'date-time',
  description: 'After this instant the link answers 410 Gone; null never expires',
};
const maxClicks: JsonSchema = {
  type: ['integer', 'null'],
  minimum: 1,
  description: 'Redirects allowed before the link answers 410 Gone; null is unlimited',
};
const tags: JsonSchema = {
  type: 'array',
  items: { type: 'string', minLength: 1 },
  description: 'Free-form labels (by default at most 20, each at most 64 characters)',
};

/** Body of `POST /api/links`. Unknown fields are refused with `invalid_body`. */
export const createLinkBodySchema: JsonSchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url,
    code: {
      type: 'string',
      description: 'Custom alias: A-Z a-z 0-9 _ -, 3 to 64 characters, not a reserved word',
    },
    expiresAt,
    maxClicks,
    redirectStatus,
    tags,
  },
};

/** Body of `PATCH /api/links/:code`: at least one field; `null` clears a limit. */
export const updateLinkBodySchema: JsonSchema = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: {
    url,
    expiresAt,
    maxClicks,
    disabled: { type: 'boolean', description: 'A disabled link answers 410 Gone' },
    redirectStatus,
    tags,
  },
};

/** Path parameters of every route with a code. */
export const codeParamsSchema: JsonSchema = {
  type: 'object',
  required: ['code'],
  properties: { code: { type: 'string', description: 'Short code' } },
};

/** Query string of `GET /api/links/:code/stats`. Unknown parameters are ignored. */
export const statsQuerySchema: JsonSchema = {
  type: 'object',
  properties: {
    from: dateTime('Start of the range, inclusive (default: 30 days before `to`)'),
    to: dateTime('End of the range, exclusive (default: now)'),
    interval: {
      type: 'string',
      enum: STATS_INTERVALS,
      description: 'Bucket size of the series (default day)',
    },
    top: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_STATS_TOP,
      description: 'Entries per top list (default 10)',
    },
  },
};

/** Most links one `GET /api/links` page returns. */
export const MAX_LINKS_PER_PAGE = 1_000;

/** Query string of `GET /api/links`. Unknown parameters are ignored. */
export const listQuerySchema: JsonSchema = {
  type: 'object',
  properties: {
    cursor: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: '`nextCursor` of the page before; absent for the first page',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_LINKS_PER_PAGE,
      description: 'Links per page (default 100)',
    },
  },
};

/** A link as the API returns it (dates as ISO-8601 strings). */
export const linkSchema: JsonSchema = {
  type: 'object',
  required: [
    'code',
    'url',
    'shortUrl',
    'createdAt',
    'expiresAt',
    'maxClicks',
    'clicksUsed',
    'redirectStatus',
    'disabled',
    'tags',
  ],
  properties: {
    code: { type: 'string' },
    url: { type: 'string', format: 'uri' },
    shortUrl: { type: 'string', format: 'uri' },
    createdAt: dateTime('When the link was created'),
    expiresAt,
    maxClicks,
    clicksUsed: {
      type: 'integer',
      description: 'Redirects counted against maxClicks (counted only while a limit is set)',
    },
    redirectStatus,
    disabled: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
  },
};

/** One page of `GET /api/links`: links in code order and where the next page starts. */
export const linkPageSchema: JsonSchema = {
  type: 'object',
  required: ['links', 'nextCursor'],
  properties: {
    links: { type: 'array', items: linkSchema },
    nextCursor: {
      type: ['string', 'null'],
      description: 'Pass as `cursor` for the next page; null when this page is the last',
    },
  },
};

const topList: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['value', 'clicks'],
    properties: { value: { type: 'string' }, clicks: { type: 'integer' } },
  },
};

/** Stats of one link: human clicks in totals, series and top lists; bots apart. */
export const statsSchema: JsonSchema = {
  type: 'object',
  required: ['code', 'total', 'unique', 'bots', 'series', 'top'],
  properties: {
    code: { type: 'string' },
    total: { type: 'integer' },
    unique: { type: 'integer' },
    bots: { type: 'integer' },
    series: {
      type: 'array',
      items: {
        type: 'object',
        required: ['t', 'clicks', 'unique'],
        properties: {
          t: dateTime('Bucket start (UTC)'),
          clicks: { type: 'integer' },
          unique: { type: 'integer' },
        },
      },
    },
    top: {
      type: 'object',
      required: ['referrers', 'countries', 'devices', 'browsers', 'os'],
      properties: {
        referrers: topList,
        countries: topList,
        devices: topList,
        browsers: topList,
        os: topList,
      },
    },
  },
};

/** Every error body: `{ "error": { "code", "message" } }`. */
export const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable code' },
        message: { type: 'string', description: 'Human-readable explanation' },
      },
    },
  },
};
