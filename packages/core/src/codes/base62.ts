/** The base62 digits in order: `0-9`, `A-Z`, `a-z`. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Longest fixed-length base62 code whose whole domain (62^length) is a safe integer. */
export const MAX_BASE62_INTEGER_LENGTH = 8;

/** 62^length: how many codes of `length` base62 digits exist. */
export function base62Space(length: number): number {
  if (!Number.isInteger(length) || length < 1 || length > MAX_BASE62_INTEGER_LENGTH) {
    throw new RangeError(`base62 length must lie within 1..${MAX_BASE62_INTEGER_LENGTH}`);
  }
  return 62 ** length;
}

/**
 * Encodes a non-negative safe integer as exactly `length` base62 digits, left-padded
 * with `0`.
 *
 * @throws RangeError when `value` is negative, not an integer or needs more digits.
 */
export function encodeBase62(value: number, length: number): string {
  if (!Number.isSafeInteger(value) || value < 0 || value >= base62Space(length)) {
    throw new RangeError(`${value} cannot be written in ${length} base62 digits`);
  }
  let code = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    code = BASE62_ALPHABET[rest % 62] + code;
    rest = Math.floor(rest / 62);
  }
  return code;
}

/**
 * The integer a base62 string stands for (inverse of {@link encodeBase62}).
 *
 * @throws RangeError on a character outside the alphabet or a value beyond safe integers.
 */
export function decodeBase62(code: string): number {
  let value = 0;
  for (const char of code) {
    const digit = BASE62_ALPHABET.indexOf(char);
    if (digit < 0) throw new RangeError(`"${char}" is not a base62 digit`);
    value = value * 62 + digit;
  }
  if (!Number.isSafeInteger(value)) throw new RangeError(`"${code}" exceeds a safe integer`);
  return value;
}
