import { isLinkPulseError } from '@linkpulse/core';
import {
  codeParamsSchema,
  compileRequestValidator,
  createLinkBodySchema,
  statsQuerySchema,
  updateLinkBodySchema,
  validateRequestPart,
} from '@linkpulse/core/http';
import { describe, expect, it } from 'vitest';

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isLinkPulseError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a LinkPulseError');
}

describe('validateRequestPart', () => {
  it('accepts a complete create body as it is', () => {
    const body = {
      url: 'https://example.com/',
      code: 'abc',
      expiresAt: '2030-01-31T12:00:00.000+02:00',
      maxClicks: null,
      redirectStatus: 308,
      tags: ['a', 'b'],
    };
    expect(validateRequestPart(createLinkBodySchema, body, 'body')).toEqual(body);
  });

  it('names the first offending field of a body', () => {
    const check = (body: unknown) =>
      failure(() => validateRequestPart(createLinkBodySchema, body, 'body'));
    expect(check({})).toEqual({ code: 'invalid_body', message: 'body.url is required' });
    expect(check({ url: 'x', extra: 1 })).toEqual({
      code: 'invalid_body',
      message: 'body has an unknown field "extra"',
    });
    expect(check({ url: 'x', maxClicks: '3' }).message).toBe(
      'body.maxClicks must be an integer or null',
    );
    expect(check({ url: 'x', maxClicks: 0 }).message).toBe('body.maxClicks must be at least 1');
    expect(check({ url: 'x', redirectStatus: 303 }).message).toBe(
      'body.redirectStatus must be one of 301, 302, 307, 308',
    );
    expect(check({ url: 'x', tags: ['ok', 3] }).message).toBe('body.tags[1] must be a string');
    expect(check({ url: 'x', expiresAt: '2030-01-31' }).message).toMatch(
      /^body.expiresAt must be an ISO-8601/,
    );
    expect(check({ url: 'x', expiresAt: '2030-13-45T99:00:00Z' }).message).toMatch(/ISO-8601/);
    for (const expiresAt of ['2030-02-30T00:00:00Z', '2030-01-01T24:00:00Z']) {
      expect(check({ url: 'x', expiresAt })).toEqual({
        code: 'invalid_body',
        message: 'body.expiresAt must be an ISO-8601 date-time such as 2030-01-31T12:00:00Z',
      });
    }
    expect(
      failure(() =>
        validateRequestPart(updateLinkBodySchema, { expiresAt: '2030-04-31T00:00:00Z' }, 'body'),
      ).code,
    ).toBe('invalid_body');
    expect(check(['x']).message).toBe('body must be a JSON object sent as application/json');
    expect(check(null).code).toBe('invalid_body');
  });

  it('does not coerce body values but coerces query values', () => {
    expect(
      failure(() => validateRequestPart(updateLinkBodySchema, { disabled: 'true' }, 'body')).code,
    ).toBe('invalid_body');
    expect(
      validateRequestPart(
        statsQuerySchema,
        { top: '5', interval: 'hour', other: 'x' },
        'querystring',
      ),
    ).toEqual({
      top: 5,
      interval: 'hour',
      other: 'x',
    });
  });

  it('checks path parameters the same on the quick path as on the full one', () => {
    const params = { code: 'abc', other: 'x' };
    const checked = validateRequestPart(codeParamsSchema, params, 'params');
    expect(checked).toEqual(params);
    expect(checked).not.toBe(params);
    const check = (value: unknown) =>
      failure(() => validateRequestPart(codeParamsSchema, value, 'params'));
    expect(check({})).toEqual({
      code: 'invalid_body',
      message: 'path parameter "code" is required',
    });
    expect(check({ code: 5 })).toEqual({
      code: 'invalid_body',
      message: 'path parameter "code" must be a string',
    });
    expect(check('abc').code).toBe('invalid_body');
  });

  it('answers invalid_query for the query string', () => {
    const check = (query: unknown) =>
      failure(() => validateRequestPart(statsQuerySchema, query, 'querystring'));
    expect(check({ top: '1.5' })).toEqual({
      code: 'invalid_query',
      message: 'query parameter "top" must be an integer',
    });
    expect(check({ top: ['1', '2'] }).code).toBe('invalid_query');
    expect(check({ interval: 'week' }).message).toBe(
      'query parameter "interval" must be one of hour, day, month',
    );
    expect(check({ top: '101' }).message).toBe('query parameter "top" must be at most 100');
  });

  it('refuses an empty patch', () => {
    expect(failure(() => validateRequestPart(updateLinkBodySchema, {}, 'body')).message).toBe(
      'body must have at least 1 field(s)',
    );
  });
});

describe('compileRequestValidator', () => {
  it('returns Fastify-style { value } and { error } results', () => {
    const validate = compileRequestValidator({ schema: statsQuerySchema, httpPart: 'querystring' });
    expect(validate({ top: '3' })).toEqual({ value: { top: 3 } });
    const result = validate({ top: 'x' }) as { error: unknown };
    expect(isLinkPulseError(result.error, 'invalid_query')).toBe(true);
  });
});
