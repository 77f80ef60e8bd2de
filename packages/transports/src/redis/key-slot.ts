/** Hash slots of a Redis Cluster. */
const SLOTS = 16_384;

/**
 * The hash tag of a key: the text between its first `{` and the next `}`, when that text
 * is not empty. A Redis Cluster hashes only the tag of a key that has one.
 */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** The Redis Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag or whole UTF-8 bytes. */
export function hashSlot(key: string): number {
  let crc = 0;
  for (const byte of Buffer.from(hashTag(key) ?? key, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % SLOTS;
}
