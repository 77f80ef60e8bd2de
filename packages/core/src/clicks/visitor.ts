import { hash } from 'node:crypto';
import { isIP } from 'node:net';

const DAY_MS = 86_400_000;
/** Characters of the base64url HMAC kept as the visitor id (96 bits). */
const VISITOR_ID_CHARS = 16;
/** Visitor ids remembered per hasher; the cache is emptied when it is full. */
const CACHE_ENTRIES = 4_096;
/** Bytes of a SHA-256 block, the size HMAC pads its key to. */
const BLOCK = 64;
/** Bytes of a SHA-256 digest. */
const DIGEST = 32;

/**
 * The canonical text of an IP address, so that one client spelled two ways is one
 * visitor: IPv4 as given, IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as its IPv4 address, other
 * IPv6 as eight lower-case hextets without leading zeros or `::`. A zone (`%eth0`) is
 * ignored. `null` when `ip` is not an IP address.
 */
export function canonicalIp(ip: string): string | null {
  const hextets = parse(ip);
  if (hextets === null || typeof hextets === 'string') return hextets;
  let text = hextets[0]!.toString(16);
  for (let i = 1; i < 8; i++) text += `:${hextets[i]!.toString(16)}`;
  return text;
}

/**
 * The network a client is in, coarse enough not to identify it, fine enough for a geo
 * lookup: IPv4 `/24` (`203.0.113.0`), IPv6 `/48` (`2001:db8:85a3::`), IPv4-mapped IPv6 as
 * IPv4. Both are written as the network's first address. `null` when `ip` is not an IP.
 */
export function ipPrefix(ip: string): string | null {
  const hextets = parse(ip);
  if (hextets === null) return null;
  if (typeof hextets === 'string') return `${hextets.slice(0, hextets.lastIndexOf('.'))}.0`;
  return `${hextets[0]!.toString(16)}:${hextets[1]!.toString(16)}:${hextets[2]!.toString(16)}::`;
}

/** Hextets of the last IPv6 address parsed; valid until the next {@link parse}. */
const scratch = new Uint16Array(8);

/**
 * An IPv4 address as text, an IPv6 address as its eight hextets (in {@link scratch}), or
 * `null`. IPv4-mapped IPv6 addresses come back as IPv4 text.
 */
function parse(ip: string): string | Uint16Array | null {
  if (typeof ip !== 'string') return null;
  const zone = ip.indexOf('%');
  const address = zone === -1 ? ip : ip.slice(0, zone);
  const version = isDottedQuad(address) ? 4 : isIP(address);
  if (version === 4) return address;
  if (version !== 6) return null;
  const h = expandIpv6(address);
  if (h[0] !== 0 || h[1] !== 0 || h[2] !== 0 || h[3] !== 0 || h[4] !== 0 || h[5] !== 0xffff) {
    return h;
  }
  return `${h[6]! >> 8}.${h[6]! & 255}.${h[7]! >> 8}.${h[7]! & 255}`;
}

/**
 * Whether `text` is an IPv4 address as `net.isIP` takes one: four decimal numbers of 0 to
 * 255 without leading zeros, dot-separated. Scanned by hand: most clients are IPv4, and
 * `isIP` matches a regular expression, which costs several times as much.
 */
function isDottedQuad(text: string): boolean {
  let dots = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return false;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57 && !(digits > 0 && value === 0)) {
      value = value * 10 + c - 48;
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return dots === 3 && digits > 0;
}

/** The hextets of a valid IPv6 address, with `::` and a trailing dotted quad expanded. */
function expandIpv6(address: string): Uint16Array {
  const out = scratch;
  out.fill(0);
  let count = 0;
  let gap = -1;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 58 /* : */) {
      if (digits > 0) out[count++] = value;
      value = 0;
      digits = 0;
      if (address.charCodeAt(i + 1) === 58) {
        gap = count;
        i++;
      }
    } else if (c === 46 /* . */) {
      const [a, b, c2, d] = address
        .slice(address.lastIndexOf(':') + 1)
        .split('.')
        .map(Number);
      out[count++] = (a! << 8) | b!;
      out[count++] = (c2! << 8) | d!;
      digits = 0;
      break;
    } else {
      value = value * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
      digits++;
    }
  }
  if (digits > 0) out[count++] = value;
  if (gap !== -1) {
    const tail = count - gap;
    for (let k = tail - 1; k >= 0; k--) out[8 - tail + k] = out[gap + k]!;
    out.fill(0, gap, 8 - tail);
  }
  return out;
}

/** A cached visitor id and the UTC day it is valid for. */
interface CachedId {
  day: number;
  id: string;
}

/**
 * Computes visitor ids: HMAC-SHA256 keyed with a secret over `UTC day | IP | user agent`,
 * base64url, truncated to 16 characters (96 bits). The same client is one visitor within a
 * UTC day and unlinkable across days; without the secret an id cannot be traced back to an
 * IP. The IP is canonicalised first ({@link canonicalIp}); an unparseable one is used as is.
 * Recent ids are cached in memory (a few thousand), as repeat visitors are common and an
 * HMAC costs far more than a lookup.
 */
export class VisitorHasher {
  /**
   * The key XOR ipad (RFC 2104), followed by room for the message: the inner hash reads
   * both at once. Grown when a message does not fit.
   */
  #inner: Buffer;
  /** The key XOR opad, followed by the inner hash: the input of the outer hash. */
  readonly #outer = Buffer.alloc(BLOCK + DIGEST);
  /** User agent → IP as given → id. Keyed apart so that a hit builds no string. */
  readonly #cache = new Map<string, Map<string, CachedId>>();
  #cached = 0;

  /** @param secret - HMAC key; give every node the same one. Must not be empty. */
  constructor(secret: string | Uint8Array) {
    if (secret.length === 0) throw new TypeError('the visitor secret must not be empty');
    const bytes = typeof secret === 'string' ? Buffer.from(secret) : secret;
    const key = bytes.length > BLOCK ? hash('sha256', bytes, 'buffer') : bytes;
    this.#inner = Buffer.alloc(1024);
    for (let i = 0; i < BLOCK; i++) {
      this.#inner[i] = (key[i] ?? 0) ^ 0x36;
      this.#outer[i] = (key[i] ?? 0) ^ 0x5c;
    }
  }

  /** The visitor id of a click at `ts` (milliseconds since the epoch). */
  visitorId(ts: number, ip: string, userAgent: string): string {
    const day = Math.floor(ts / DAY_MS);
    let byIp = this.#cache.get(userAgent);
    const cached = byIp?.get(ip);
    if (cached !== undefined && cached.day === day) return cached.id;
    const id = this.#hmac(`${day}|${canonicalIp(ip) ?? ip}|${userAgent}`).slice(
      0,
      VISITOR_ID_CHARS,
    );
    if (cached !== undefined) {
      cached.day = day;
      cached.id = id;
      return id;
    }
    if (this.#cached >= CACHE_ENTRIES) {
      this.#cache.clear();
      this.#cached = 0;
      byIp = undefined;
    }
    if (byIp === undefined) {
      byIp = new Map();
      this.#cache.set(userAgent, byIp);
    }
    byIp.set(ip, { day, id });
    this.#cached++;
    return id;
  }

  /**
   * HMAC-SHA256 of the UTF-8 of `message`, base64url: two one-shot hashes over the padded
   * key and the message, which costs less than a `crypto.Hmac` object per message.
   */
  #hmac(message: string): string {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const room = BLOCK + 3 * message.length;
    if (this.#inner.length < room) {
      const inner = Buffer.alloc(Math.max(room, 2 * this.#inner.length));
      this.#inner.copy(inner, 0, 0, BLOCK);
      this.#inner = inner;
    }
    const length = BLOCK + this.#inner.write(message, BLOCK);
    this.#outer.set(hash('sha256', this.#inner.subarray(0, length), 'buffer'), BLOCK);
    return hash('sha256', this.#outer, 'base64url');
  }
}
