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
});
