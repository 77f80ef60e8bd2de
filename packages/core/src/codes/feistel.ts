import { createHmac } from 'node:crypto';

/** Options of {@link KeyedPermutation}. */
export interface KeyedPermutationOptions {
  /** Key of the permutation; the same secret and size always give the same permutation. */
  secret: string | Uint8Array;
  /** Size of the domain `[0, size)`, from 2 up to 2^52. */
  size: number;
  /** Feistel rounds. Default 8. */
  rounds?: number;
}

const MAX_BITS = 52;

/**
 * A keyed bijection over `[0, size)`: a balanced Feistel network over the smallest even
 * bit width that covers the domain, made to stay inside the domain by cycle-walking.
 * Round keys are derived from the secret with HMAC-SHA256 once, at construction; the
 * round function itself is a cheap 32-bit integer mix.
 *
 * It makes consecutive ids look unrelated so codes cannot be enumerated by counting; it
 * is an obfuscation, not a cipher proven against an adversary who sees many pairs.
 */
export class KeyedPermutation {
  /** Size of the domain `[0, size)`. */
  readonly size: number;
  readonly #halfBits: number;
  readonly #half: number;
  readonly #mask: number;
  readonly #keys: Uint32Array;

  constructor(options: KeyedPermutationOptions) {
    const { secret, size, rounds = 8 } = options;
    if (!Number.isSafeInteger(size) || size < 2 || size > 2 ** MAX_BITS) {
      throw new RangeError(`permutation size must lie within 2..2^${MAX_BITS}`);
    }
    if (!Number.isInteger(rounds) || rounds < 2) {
      throw new RangeError('a Feistel network needs at least 2 rounds');
    }
    if (secret.length === 0) throw new RangeError('permutation secret must not be empty');
    let bits = Math.ceil(Math.log2(size));
    if (2 ** bits < size) bits += 1; // guards against rounding in log2
    if (bits % 2 === 1) bits += 1;
    this.size = size;
    this.#halfBits = bits / 2;
    this.#half = 2 ** this.#halfBits;
    this.#mask = this.#half - 1;
    this.#keys = new Uint32Array(rounds);
    for (let round = 0; round < rounds; round++) {
      const digest = createHmac('sha256', secret)
        .update(`linkpulse/feistel/v1/${size}/${round}`)
        .digest();
      this.#keys[round] = digest.readUInt32BE(0);
    }
  }

  /** The image of `n`, also in `[0, size)`. */
  permute(n: number): number {
    this.#check(n);
    let value = n;
    do value = this.#encrypt(value);
    while (value >= this.size);
    return value;
  }

  /** The `n` whose image is `value`: `invert(permute(n)) === n`. */
  invert(value: number): number {
    this.#check(value);
    let n = value;
    do n = this.#decrypt(n);
    while (n >= this.size);
    return n;
  }

  #check(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.size) {
      throw new RangeError(`${n} lies outside [0, ${this.size})`);
    }
  }

  #encrypt(n: number): number {
    let left = Math.floor(n / this.#half);
    let right = n % this.#half;
    for (const key of this.#keys) {
      const next = left ^ this.#round(right, key);
      left = right;
      right = next;
    }
    return left * this.#half + right;
  }

  #decrypt(n: number): number {
    let left = Math.floor(n / this.#half);
    let right = n % this.#half;
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      const previous = right ^ this.#round(left, this.#keys[i]!);
      right = left;
      left = previous;
    }
    return left * this.#half + right;
  }

  // A murmur3-style finaliser of (half-block xor round key), cut to the half width.
  #round(value: number, key: number): number {
    let h = Math.imul(value ^ key, 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h ^ key, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.#mask;
  }
}
