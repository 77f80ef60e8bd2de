import { randomBytes } from 'node:crypto';
import { MAX_CODE_LENGTH } from '../links/alias.js';
import { BASE62_ALPHABET } from './base62.js';
import type { CodeGenerator } from './code-generator.js';

/** Options of {@link RandomCodeGenerator}. */
export interface RandomCodeGeneratorOptions {
  /** Characters per code. Default 7 (62^7 ≈ 3.5 × 10^12 codes). */
  length?: number;
}

const POOL_SIZE = 512;
// 248 = 4 × 62: bytes at or above it are thrown away so every digit is equally likely.
const UNBIASED_LIMIT = 248;

/**
 * Uniformly random base62 codes from `crypto.randomBytes` (drawn in pooled chunks,
 * rejection-sampled). Collisions are possible; the shortener retries `create` with a
 * fresh code when the store answers `code_taken`.
 */
export class RandomCodeGenerator implements CodeGenerator {
  /** Characters per code. */
  readonly length: number;
  #pool = Buffer.alloc(0);
  #offset = 0;

  constructor(options: RandomCodeGeneratorOptions = {}) {
    const { length = 7 } = options;
    if (!Number.isInteger(length) || length < 1 || length > MAX_CODE_LENGTH) {
      throw new RangeError(`code length must lie within 1..${MAX_CODE_LENGTH}`);
    }
    this.length = length;
  }

  /** A fresh random code. */
  next(): Promise<string> {
    let code = '';
    while (code.length < this.length) {
      if (this.#offset === this.#pool.length) {
        this.#pool = randomBytes(POOL_SIZE);
        this.#offset = 0;
      }
      const byte = this.#pool[this.#offset++]!;
      if (byte < UNBIASED_LIMIT) code += BASE62_ALPHABET[byte % 62];
    }
    return Promise.resolve(code);
  }
}
