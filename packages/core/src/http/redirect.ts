import { LinkPulseError } from '../errors.js';
import type { GoneReason, RedirectStatus } from '../links/link.js';
import type { Resolution } from '../shortener-types.js';
import { type ErrorBody, errorReply, type HttpReply } from './reply.js';

/**
 * `Cache-Control` of a redirect. Temporary redirects (302, 307) may be reused by the
 * browser for 90 seconds. Permanent ones (301, 308) are sent with `no-store`: browsers
 * keep a permanent redirect indefinitely unless told otherwise, and a kept redirect
 * never reaches the server again, so its clicks would be lost and a later change of
 * the target would never be seen.
 */
export function redirectCacheControl(status: RedirectStatus): string {
  return status === 301 || status === 308 ? 'no-store' : 'private, max-age=90';
}

const GONE_MESSAGES: Record<GoneReason, string> = {
  expired: 'this link has expired',
  disabled: 'this link has been disabled',
  exhausted: 'this link has reached its click limit',
};

// The error replies never change: built once, frozen, and shared by every request.
function constantReply(error: LinkPulseError): HttpReply {
  const reply = errorReply(error);
  Object.freeze(reply.headers);
  Object.freeze((reply.body as ErrorBody).error);
  Object.freeze(reply.body);
  return Object.freeze(reply);
}

const NOT_FOUND_REPLY = constantReply(new LinkPulseError('not_found', 'no link with this code'));
const GONE_REPLIES = Object.fromEntries(
  Object.entries(GONE_MESSAGES).map(([reason, message]) => [
    reason,
    constantReply(new LinkPulseError('gone', message)),
  ]),
) as Record<GoneReason, HttpReply>;

/**
 * What to answer for a resolved code: the redirect, 404 `not_found` or 410 `gone`. The
 * error replies are shared, frozen objects.
 */
export function redirectReply(resolution: Resolution): HttpReply {
  switch (resolution.status) {
    case 'found': {
      const { url, redirectStatus } = resolution.link;
      return {
        status: redirectStatus,
        headers: { location: url, 'cache-control': redirectCacheControl(redirectStatus) },
      };
    }
    case 'gone':
      return GONE_REPLIES[resolution.reason];
    case 'not_found':
      return NOT_FOUND_REPLY;
  }
}
