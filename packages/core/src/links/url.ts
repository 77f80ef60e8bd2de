import { LinkPulseError } from '../errors.js';

/** Limits applied by {@link validateUrl}. */
export interface UrlPolicy {
  /** Longest accepted URL, before and after normalisation. Default 2048. */
  maxLength?: number;
}

/** The default of {@link UrlPolicy.maxLength}. */
export const DEFAULT_MAX_URL_LENGTH = 2048;

// C0 controls (including TAB, CR, LF), DEL and C1 controls. WHATWG URL silently strips
// some of them; a target URL carrying them is refused instead.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
// What a normalised href may contain: printable ASCII only, so it is safe in a header.
const NOT_HEADER_SAFE = /[^\u0021-\u007e]/;

/**
 * Validates a redirect target and returns it normalised (`URL.href`). Accepts only
 * absolute `http:`/`https:` URLs with a host and without credentials, no longer than the
 * policy allows, with no control characters anywhere. The result is printable ASCII, so
 * it can be sent as a `Location` header as is.
 *
 * @throws LinkPulseError `invalid_url` when the input is refused.
 */
export function validateUrl(input: string, policy: UrlPolicy = {}): string {
  const maxLength = policy.maxLength ?? DEFAULT_MAX_URL_LENGTH;
  if (typeof input !== 'string' || input.length === 0) {
    throw new LinkPulseError('invalid_url', 'url must be a non-empty string');
  }
  if (input.length > maxLength) {
    throw new LinkPulseError('invalid_url', `url is longer than ${maxLength} characters`);
  }
  if (CONTROL_CHARACTER.test(input)) {
    throw new LinkPulseError('invalid_url', 'url contains control characters');
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new LinkPulseError('invalid_url', 'url is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LinkPulseError('invalid_url', 'url must use http or https');
  }
  if (url.username !== '' || url.password !== '') {
    throw new LinkPulseError('invalid_url', 'url must not contain credentials');
  }
  if (url.hostname === '') {
    throw new LinkPulseError('invalid_url', 'url must have a host');
  }
  const href = url.href;
  if (href.length > maxLength) {
    throw new LinkPulseError('invalid_url', `url is longer than ${maxLength} characters`);
  }
  if (NOT_HEADER_SAFE.test(href)) {
    throw new LinkPulseError('invalid_url', 'url cannot be normalised to a header-safe form');
  }
  return href;
}
