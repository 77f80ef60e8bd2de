import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * Which peers may tell LinkPulse the client's address (`X-Forwarded-For`) and the public
 * protocol and host (`X-Forwarded-Proto`, `X-Forwarded-Host`):
 * - `false` (default): nobody; the socket's peer is the client.
 * - `true`: every peer; the left-most `X-Forwarded-For` entry is the client. Only behind
 *   a proxy that overwrites the header, never when clients can reach the app directly.
 * - a number `n`: the `n` proxies nearest to the app (the socket's peer first).
 * - a list of IP addresses and CIDR ranges (`10.0.0.0/8`, `::1`): peers in the list.
 */
export type TrustProxy = boolean | number | readonly string[];

/** What the proxy settings tell about a request. */
export interface ProxyTrust {
  /** The client's IP address. */
  clientIp(request: IncomingMessage): string;
  /** `protocol://host` the client used, e.g. `https://sho.rt`. */
  origin(request: IncomingMessage): string;
}

// `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is the IPv4 address.
function plainIp(address: string): string {
  if (!address.startsWith('::')) return address;
  const mapped = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : '';
  return isIPv4(mapped) ? mapped : address;
}

function blockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.trim().split('/');
    const family = isIP(address);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (
      family === 0 ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > (family === 6 ? 128 : 32)
    ) {
      throw new TypeError(`trustProxy: "${entry}" is not an IP address or CIDR range`);
    }
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** Whether the peer `hops` steps away from the app (0 = the socket's peer) is trusted. */
type TrustTest = (address: string, hops: number) => boolean;

function trustTest(trust: TrustProxy): TrustTest {
  if (typeof trust === 'boolean') return () => trust;
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0) {
      throw new TypeError('trustProxy: a hop count must be a non-negative integer');
    }
    return (_address, hops) => hops < trust;
  }
  const list = blockList(trust);
  return (address) => list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const first = value?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}

/** Builds the {@link ProxyTrust} for a {@link TrustProxy} setting. */
export function createProxyTrust(trust: TrustProxy = false): ProxyTrust {
  const trusted = trustTest(trust);
  const peerOf = (request: IncomingMessage): string => plainIp(request.socket.remoteAddress ?? '');

  return {
    clientIp(request) {
      const peer = peerOf(request);
      const header = request.headers['x-forwarded-for'];
      if (header === undefined || !trusted(peer, 0)) return peer;
      // Walk from the app towards the client while the hop that reported an address is trusted.
      const forwarded = (Array.isArray(header) ? header.join(',') : header).split(',');
      let client = peer;
      for (let hops = 0; hops < forwarded.length && trusted(client, hops); hops++) {
        const next = plainIp(forwarded[forwarded.length - 1 - hops]!.trim());
        if (isIP(next) === 0) break;
        client = next;
      }
      return client;
    },

    origin(request) {
      const proxied = trusted(peerOf(request), 0);
      const forwardedProto = proxied ? firstValue(request.headers['x-forwarded-proto']) : undefined;
      const encrypted = (request.socket as Partial<TLSSocket>).encrypted === true;
      const protocol =
        forwardedProto === 'http' || forwardedProto === 'https'
          ? forwardedProto
          : encrypted
            ? 'https'
            : 'http';
      const host =
        (proxied ? firstValue(request.headers['x-forwarded-host']) : undefined) ??
        request.headers.host ??
        'localhost';
      return `${protocol}://${host}`;
    },
  };
}
