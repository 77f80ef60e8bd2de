import { createOpenApiDocument, linkSchema, ROUTES } from '@linkpulse/core/http';
import { describe, expect, it } from 'vitest';

type Operation = {
  operationId: string;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

// Every `$ref` in the document, with the object it points to (or undefined).
function refs(document: unknown): [string, unknown][] {
  const found: [string, unknown][] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string') {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], document);
      found.push([ref, target]);
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(document);
  return found;
}

describe('createOpenApiDocument', () => {
  const document = createOpenApiDocument({ prefix: '/go', serverUrl: 'https://sho.rt' });
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      path,
      method,
      ...(operation as Operation),
    })),
  );

  it('is an OpenAPI 3.1 document with a server', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('LinkPulse');
    expect(document.servers).toEqual([{ url: 'https://sho.rt' }]);
  });

  it('covers every route and method of the contract, under the prefix', () => {
    const listed = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort();
    expect(listed).toEqual(
      [
        'POST /go/api/links',
        'GET /go/api/links',
        'GET /go/api/links/{code}',
        'PATCH /go/api/links/{code}',
        'DELETE /go/api/links/{code}',
        'GET /go/api/links/{code}/stats',
        'GET /go/{code}',
        'HEAD /go/{code}',
      ].sort(),
    );
  });

  it('documents every status of the contract table', () => {
    const statuses = (method: string, path: string) =>
      Object.keys(operations.find((o) => o.method === method && o.path === path)!.responses).map(
        Number,
      );
    expect(statuses('post', '/go/api/links')).toEqual(
      expect.arrayContaining([201, 400, 401, 409, 413]),
    );
    expect(statuses('get', '/go/api/links/{code}')).toEqual(expect.arrayContaining([200, 404]));
    expect(statuses('patch', '/go/api/links/{code}')).toEqual(
      expect.arrayContaining([200, 400, 401, 404]),
    );
    expect(statuses('delete', '/go/api/links/{code}')).toEqual(
      expect.arrayContaining([204, 401, 404]),
    );
    expect(statuses('get', '/go/api/links/{code}/stats')).toEqual(
      expect.arrayContaining([200, 400, 404]),
    );
    for (const method of ['get', 'head']) {
      expect(statuses(method, '/go/{code}')).toEqual(
        expect.arrayContaining([301, 302, 307, 308, 404, 410]),
      );
    }
  });

  it('names every error code it can answer with', () => {
    const text = JSON.stringify(document);
    for (const code of [
      'invalid_url',
      'invalid_code',
      'invalid_body',
      'invalid_query',
      'unauthorized',
      'not_found',
      'code_taken',
      'gone',
      'payload_too_large',
      'unavailable',
    ]) {
      expect(text).toContain(code);
    }
  });

  it('is consistent: unique operation ids, declared path parameters, resolvable refs', () => {
    const ids = operations.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const operation of operations) {
      const templated = [...operation.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = operation.parameters.filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name)).toEqual(templated);
      expect(declared.every((p) => p.required)).toBe(true);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(Number(status)).toBeGreaterThanOrEqual(200);
        expect(response.description.length).toBeGreaterThan(0);
      }
      expect(operation.requestBody !== undefined).toBe(
        ['post', 'patch'].includes(operation.method),
      );
    }
    const references = refs(document);
    expect(references.length).toBeGreaterThan(0);
    for (const [ref, target] of references) expect(target, ref).toBeTypeOf('object');
  });

  it('names the link of a list page by reference, not as a copy', () => {
    const page = document.components.schemas!.LinkPage as {
      properties: { links: { items: unknown } };
    };
    expect(page.properties.links.items).toEqual({ $ref: '#/components/schemas/Link' });
    expect(document.components.schemas!.Link).toEqual(linkSchema);
  });

  it('is generated from the route table the adapters serve', () => {
    expect(operations).toHaveLength(ROUTES.reduce((n, route) => n + route.methods.length, 0));
    const statsQuery = operations.find((o) => o.operationId === 'linkStats')!.parameters;
    expect(statsQuery.filter((p) => p.in === 'query').map((p) => p.name)).toEqual([
      'from',
      'to',
      'interval',
      'top',
    ]);
  });
});
