import { LinkPulseError } from '../errors.js';

const utf8 = new TextDecoder();

/**
 * A record as a transport delivered it, as a plain value to validate: JSON text (a string,
 * a Buffer or another `Uint8Array`) is parsed, anything else is returned as it is (the
 * memory transport hands over the objects it was sent). Throws
 * `LinkPulseError('invalid_body')` when text is not JSON.
 */
export function recordToObject(record: unknown): unknown {
  const text =
    typeof record === 'string'
      ? record
      : record instanceof Uint8Array
        ? utf8.decode(record)
        : undefined;
  if (text === undefined) return record;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LinkPulseError('invalid_body', 'record is not valid JSON', { cause: error });
  }
}
