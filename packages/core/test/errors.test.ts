import { errorStatus, isLinkPulseError, LinkPulseError } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

describe('LinkPulseError', () => {
  it('carries a stable code and its HTTP status', () => {
    const error = new LinkPulseError('code_taken', 'taken');
    expect(error.status).toBe(409);
    expect(errorStatus('gone')).toBe(410);
    expect(isLinkPulseError(error, 'code_taken')).toBe(true);
    expect(isLinkPulseError(new Error('x'))).toBe(false);
  });

  it('recognises the errors of another copy of the package (a CJS build next to the ESM one)', async () => {
    // A second instance of this module: its LinkPulseError is another class, as in a
    // process that loads both builds of @linkpulse/core.
    const path = '../src/errors.js?copy';
    const other = (await import(/* @vite-ignore */ path)) as typeof import('@linkpulse/core');
    expect(other.LinkPulseError).not.toBe(LinkPulseError);
    const foreign = new other.LinkPulseError('gone', 'expired');
    expect(isLinkPulseError(foreign)).toBe(true);
    expect(isLinkPulseError(foreign, 'gone')).toBe(true);
    expect(isLinkPulseError(foreign, 'not_found')).toBe(false);
    expect(foreign instanceof LinkPulseError).toBe(true);
    expect(new LinkPulseError('gone', 'expired') instanceof other.LinkPulseError).toBe(true);
  });

  it('does not take look-alikes for LinkPulseErrors', () => {
    const lookAlike = Object.assign(new Error('taken'), { code: 'code_taken', status: 409 });
    expect(isLinkPulseError(lookAlike)).toBe(false);
    expect(lookAlike instanceof LinkPulseError).toBe(false);
    for (const value of [null, undefined, 'code_taken', 409, {}]) {
      expect(isLinkPulseError(value)).toBe(false);
      expect(value instanceof LinkPulseError).toBe(false);
    }
  });

  it('keeps instanceof exact for subclasses', () => {
    class StoreError extends LinkPulseError {}
    expect(new StoreError('unavailable', 'down') instanceof StoreError).toBe(true);
    expect(new StoreError('unavailable', 'down') instanceof LinkPulseError).toBe(true);
    expect(new LinkPulseError('unavailable', 'down') instanceof StoreError).toBe(false);
  });
});
