import { randomBytes } from 'node:crypto';

/** Crockford base32, the ULID alphabet. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const LAST = RANDOM_CHARS - 1;
/** Random bytes fetched from the OS at once; each ULID takes {@link RANDOM_CHARS} of them. */
const POOL_BYTES = RANDOM_CHARS * 256;
const MAX_TIME = 2 ** 48 - 1;

/**
 * Mints one ULID for `time` (milliseconds since the epoch; `Date.now()` when absent).
 * See {@link createUlid}.
 */
export type UlidFactory = (time?: number) => string;

/**
 * Creates a monotonic ULID generator: 48 bits of milliseconds plus 80 random bits, in
 * Crockford base32 (26 characters), lexicographically sortable by time. Within one
 * millisecond (or when `time` goes backwards) the random part of the previous ULID is
 * incremented, so ids from one factory are strictly increasing. Random bytes come from a
 * pooled `crypto.randomBytes` buffer (one system call per 256 ULIDs).
 */
export function createUlid(): UlidFactory {
  let pool = randomBytes(POOL_BYTES);
  let poolOffset = 0;
  let lastTime = -1;
  let timePart = '';
  // Base32 digits (0..31) of the last random part, most significant first.
  const digits = new Uint8Array(RANDOM_CHARS);
  // The id without its last character; rebuilt only when more than the last digit changes.
  let head = '';
  // Character codes of `head`, which is made of them at once: built by `+=`, it would be a
  // chain of string pieces that every id shares and that joining ids walks again each time.
  const headCodes = new Array<number>(TIME_CHARS + LAST).fill(0);

  function setHead(): void {
    for (let i = 0; i < TIME_CHARS; i++) headCodes[i] = timePart.charCodeAt(i);
    for (let i = 0; i < LAST; i++) headCodes[TIME_CHARS + i] = ALPHABET.charCodeAt(digits[i]!);
    head = String.fromCharCode(...headCodes);
  }

  function randomize(time: number): void {
    lastTime = time;
    timePart = '';
    for (let i = 0, rest = time; i < TIME_CHARS; i++, rest = Math.floor(rest / 32)) {
      timePart = ALPHABET[rest % 32] + timePart;
    }
    if (poolOffset === POOL_BYTES) {
      pool = randomBytes(POOL_BYTES);
      poolOffset = 0;
    }
    // 256 is a multiple of 32, so the low 5 bits of a random byte are uniform.
    for (let i = 0; i < RANDOM_CHARS; i++) digits[i] = pool[poolOffset + i]! & 31;
    poolOffset += RANDOM_CHARS;
    setHead();
  }

  /** Adds one to the random part; false when it overflowed (all digits were 31). */
  function increment(): boolean {
    if (digits[LAST]! < 31) {
      digits[LAST]!++;
      return true;
    }
    for (let i = LAST; i >= 0; i--) {
      if (digits[i]! < 31) {
        digits[i]!++;
        setHead();
        return true;
      }
      digits[i] = 0;
    }
    return false;
  }

  return (time = Date.now()) => {
    const ms = Math.min(Math.max(Math.floor(time), 0), MAX_TIME);
    if (ms > lastTime) randomize(ms);
    // 2^80 ids in one millisecond: borrow the next millisecond rather than repeat one.
    else if (!increment()) randomize(lastTime + 1);
    return head + ALPHABET[digits[LAST]!];
  };
}
