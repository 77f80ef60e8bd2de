import { randomBytes } from 'node:crypto';

/** Crockford base32, the ULID alphabet. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
/** Random bytes fetched from the OS at once; each ULID takes {@link RANDOM_CHARS} of them. */
const POOL_BYTES = RANDOM_CHARS * 256;
const MAX_TIME = 2 ** 48 - 1;

/** Mints ULIDs; see {@link createUlid}. */
export type UlidFactory = (time?: number) => string;

/**
 * Creates a monotonic ULID generator: 48 bits of milliseconds plus 80 random bits, in
 * Crockford base32 (26 characters), lexicographically sortable by time. Within one
 * millisecond (or when `time` goes backwards) the random part of the previous ULID is
 * incremented, so ids from one factory are strictly increasing. Random bytes come from a
 * pooled `crypto.randomBytes` buffer (one system call per 256 ULIDs).
 *
 * @param time - milliseconds since the epoch the id is minted for; `Date.now()` when absent.
 */
export function createUlid(): UlidFactory {
  let pool = randomBytes(POOL_BYTES);
  let poolOffset = 0;
  let lastTime = -1;
  let timePart = '';
  // Base32 digits (0..31) of the last random part, most significant first.
  const digits = new Uint8Array(RANDOM_CHARS);

  function randomize(): void {
    if (poolOffset === POOL_BYTES) {
      pool = randomBytes(POOL_BYTES);
      poolOffset = 0;
    }
    // 256 is a multiple of 32, so the low 5 bits of a random byte are uniform.
    for (let i = 0; i < RANDOM_CHARS; i++) digits[i] = pool[poolOffset + i]! & 31;
    poolOffset += RANDOM_CHARS;
  }

  /** Adds one to the random part; false when it overflowed (all digits were 31). */
  function increment(): boolean {
    for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
      if (digits[i]! < 31) {
        digits[i]!++;
        return true;
      }
      digits[i] = 0;
    }
    return false;
  }

  function setTime(time: number): void {
    lastTime = time;
    let text = '';
    for (let i = 0, rest = time; i < TIME_CHARS; i++, rest = Math.floor(rest / 32)) {
      text = ALPHABET[rest % 32] + text;
    }
    timePart = text;
  }

  return (time = Date.now()) => {
    const ms = Math.min(Math.max(Math.floor(time), 0), MAX_TIME);
    if (ms > lastTime) {
      setTime(ms);
      randomize();
    } else if (!increment()) {
      // 2^80 ids in one millisecond: borrow the next millisecond rather than repeat.
      setTime(lastTime + 1);
      randomize();
    }
    let id = timePart;
    for (let i = 0; i < RANDOM_CHARS; i++) id += ALPHABET[digits[i]!];
    return id;
  };
}
