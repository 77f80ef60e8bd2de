import { LinkPulseError } from '../errors.js';
import { parseDateTime } from '../links/date-time.js';
import { bodyError } from './reply.js';

/** A JSON type name as JSON Schema spells it. */
export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

/**
 * The subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that the LinkPulse HTTP
 * schemas are written in. {@link validateRequestPart} understands every keyword here,
 * so the same schema objects drive validation in both adapters, Fastify's response
 * serialisation and the OpenAPI document.
 */
export interface JsonSchema {
  type?: JsonType | readonly JsonType[];
  description?: string;
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  /** Only `false` is checked (unknown properties are refused); absent allows them. */
  additionalProperties?: boolean;
  minProperties?: number;
  items?: JsonSchema;
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  /**
   * `date-time` is checked (RFC 3339, with fields that exist: no February 30); `uri` is
   * documentation only.
   */
  format?: 'date-time' | 'uri';
  examples?: readonly unknown[];
}

/**
 * The part of a request a schema checks. It decides the error code (`invalid_query` for
 * the query string, `invalid_body` otherwise) and whether strings are coerced: query
 * strings and path parameters arrive as text, so `"5"` is an integer there but not in a
 * JSON body.
 */
export type RequestPart = 'body' | 'querystring' | 'params';

const typeNames = (schema: JsonSchema): readonly JsonType[] =>
  schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : schema.type;

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

function matchesType(value: unknown, types: readonly JsonType[]): boolean {
  if (types.length === 0) return true;
  const actual = typeOf(value);
  return types.includes(actual) || (actual === 'integer' && types.includes('number'));
}

// Text from a query string or path becomes the number or boolean its schema asks for.
function coerce(value: unknown, types: readonly JsonType[]): unknown {
  if (typeof value !== 'string' || types.includes('string')) return value;
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) {
    return Number(value);
  }
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

const ARTICLED: Record<JsonType, string> = {
  object: 'a JSON object',
  array: 'an array',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
};

const describeTypes = (types: readonly JsonType[]): string =>
  types.map((type) => ARTICLED[type]).join(' or ');

class Checker {
  constructor(
    private readonly part: RequestPart,
    private readonly fail: (message: string) => never,
  ) {}

  check(schema: JsonSchema, input: unknown, path: string): unknown {
    const types = typeNames(schema);
    const value = this.part === 'body' ? input : coerce(input, types);
    if (!matchesType(value, types)) this.fail(`${path} must be ${describeTypes(types)}`);
    if (schema.enum && !schema.enum.includes(value as string | number)) {
      this.fail(`${path} must be one of ${schema.enum.join(', ')}`);
    }
    if (typeof value === 'number') this.checkNumber(schema, value, path);
    if (typeof value === 'string') this.checkString(schema, value, path);
    if (Array.isArray(value)) return this.checkArray(schema, value, path);
    if (typeOf(value) === 'object') return this.checkObject(schema, value as object, path);
    return value;
  }

  private checkNumber(schema: JsonSchema, value: number, path: string): void {
    if (schema.minimum !== undefined && value < schema.minimum) {
      this.fail(`${path} must be at least ${schema.minimum}`);
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      this.fail(`${path} must be at most ${schema.maximum}`);
    }
  }

  private checkString(schema: JsonSchema, value: string, path: string): void {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      this.fail(`${path} must be at least ${schema.minLength} characters long`);
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      this.fail(`${path} must be at most ${schema.maxLength} characters long`);
    }
    if (schema.format === 'date-time' && Number.isNaN(parseDateTime(value))) {
      this.fail(`${path} must be an ISO-8601 date-time such as 2030-01-31T12:00:00Z`);
    }
  }

  private checkArray(schema: JsonSchema, value: readonly unknown[], path: string): unknown[] {
    const items = schema.items;
    return items
      ? value.map((item, index) => this.check(items, item, `${path}[${index}]`))
      : [...value];
  }

  private checkObject(schema: JsonSchema, value: object, path: string): Record<string, unknown> {
    const entries = Object.entries(value);
    const properties = schema.properties ?? {};
    if (schema.minProperties !== undefined && entries.length < schema.minProperties) {
      this.fail(`${path} must have at least ${schema.minProperties} field(s)`);
    }
    for (const name of schema.required ?? []) {
      if (!Object.hasOwn(value, name)) this.fail(`${this.child(path, name)} is required`);
    }
    // fromEntries defines own properties, so a `__proto__` key stays a plain key.
    return Object.fromEntries(
      entries.map(([name, item]) => {
        const property = Object.hasOwn(properties, name) ? properties[name] : undefined;
        if (property === undefined && schema.additionalProperties === false) {
          this.fail(`${path} has an unknown field "${name}"`);
        }
        return [name, property ? this.check(property, item, this.child(path, name)) : item];
      }),
    );
  }

  private child(path: string, name: string): string {
    return this.part === 'body'
      ? `${path}.${name}`
      : `${this.part === 'params' ? 'path' : 'query'} parameter "${name}"`;
  }
}

const ROOT_NAMES: Record<RequestPart, string> = {
  body: 'body',
  querystring: 'query string',
  params: 'path',
};

/** Keywords a property may carry and still be checked by {@link flatStringCheck}. */
const PLAIN_KEYWORDS: ReadonlySet<string> = new Set(['type', 'description', 'examples']);

/**
 * For a schema of an object whose properties are all unconstrained strings (the path
 * parameters `{ code }`), a quick test that a value passes the full check unchanged: an
 * object holding every required property, each known one a string. `null` for any other
 * schema. Checking a redirect's parameters is then a few property reads instead of the
 * general walk, which costs about a microsecond per request.
 */
function flatStringCheck(schema: JsonSchema): ((value: unknown) => boolean) | null {
  const keywords = Object.keys(schema);
  const allowed = ['type', 'description', 'properties', 'required', 'examples'];
  if (schema.type !== 'object' || keywords.some((keyword) => !allowed.includes(keyword))) {
    return null;
  }
  const properties = Object.entries(schema.properties ?? {});
  const plain = properties.every(
    ([, property]) =>
      property.type === 'string' &&
      Object.keys(property).every((keyword) => PLAIN_KEYWORDS.has(keyword)),
  );
  const required = schema.required ?? [];
  if (!plain || required.some((name) => !Object.hasOwn(schema.properties ?? {}, name))) {
    return null;
  }
  const names = properties.map(([name]) => name);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    for (const name of required) if (!Object.hasOwn(value, name)) return false;
    for (const name of names) {
      if (
        Object.hasOwn(value, name) &&
        typeof (value as Record<string, unknown>)[name] !== 'string'
      ) {
        return false;
      }
    }
    return true;
  };
}

const quickChecks = new WeakMap<JsonSchema, ((value: unknown) => boolean) | null>();

function quickCheckOf(schema: JsonSchema): ((value: unknown) => boolean) | null {
  let check = quickChecks.get(schema);
  if (check === undefined) {
    check = flatStringCheck(schema);
    quickChecks.set(schema, check);
  }
  return check;
}

/**
 * Checks one part of a request against its schema and returns it (query and path values
 * coerced to the schema's types; objects copied). Throws `LinkPulseError` with
 * `invalid_query` for the query string and `invalid_body` otherwise; the message names
 * the first offending field, e.g. `body.maxClicks must be at least 1`.
 */
export function validateRequestPart(
  schema: JsonSchema,
  value: unknown,
  part: RequestPart,
): unknown {
  // What the full check returns for such a value: a copy of its own fields.
  if (quickCheckOf(schema)?.(value)) return Object.fromEntries(Object.entries(value as object));
  const code = part === 'querystring' ? 'invalid_query' : 'invalid_body';
  const fail = (message: string): never => {
    throw new LinkPulseError(code, message);
  };
  if (part === 'body' && typeOf(value) !== 'object' && typeNames(schema).includes('object')) {
    throw bodyError('not_json');
  }
  return new Checker(part, fail).check(schema, value, ROOT_NAMES[part]);
}
