import { describe, expect, it } from 'vitest';
import type { KafkaIncomingMessage } from '../src/kafka/client.js';
import { clickMessages, clickRecords, MAX_PACKED_CHARS } from '../src/kafka/messages.js';
import { clickEvents } from './kafka-helpers.js';

const incoming = (values: Array<string | null>): KafkaIncomingMessage[] =>
  values.map((value, i) => ({
    offset: String(i),
    timestamp: '0',
    key: null,
    value: value === null ? null : Buffer.from(value),
  }));

describe('Kafka click messages', () => {
  it('sends one message per click keyed by code when eventsPerMessage is 1', () => {
    const events = clickEvents('one', 3, 1_000);
    const messages = clickMessages(events, 1);
    expect(messages.map((m) => m.key)).toEqual(['one', 'one', 'one']);
    expect(messages.map((m) => m.timestamp)).toEqual(['1000', '1001', '1002']);
    expect(JSON.parse(String(messages[1]!.value))).toEqual(events[1]);
  });

  it('packs up to eventsPerMessage clicks per message, unkeyed, stamped with the latest click', () => {
    const events = clickEvents('pack', 25, 5_000).reverse();
    const messages = clickMessages(events, 10);
    expect(messages.map((m) => JSON.parse(String(m.value)).length)).toEqual([10, 10, 5]);
    expect(messages.every((m) => m.key === undefined)).toBe(true);
    expect(messages.map((m) => m.timestamp)).toEqual(['5024', '5014', '5004']);
    expect(clickRecords(incoming(messages.map((m) => String(m.value))))).toEqual(events);
  });

  it('closes a packed message before it grows past MAX_PACKED_CHARS', () => {
    const big = clickEvents('big', 12).map((event) => ({ ...event, ua: 'x'.repeat(50_000) }));
    const messages = clickMessages(big, 500);
    expect(messages.length).toBeGreaterThan(2);
    for (const message of messages) {
      expect(String(message.value).length).toBeLessThanOrEqual(MAX_PACKED_CHARS + 1);
    }
    expect(messages.flatMap((m) => JSON.parse(String(m.value)))).toEqual(big);
  });

  it('packs a message of exactly MAX_PACKED_CHARS besides its brackets, splitting one more', () => {
    // Three events whose packed value is MAX_PACKED_CHARS + 2 characters long.
    const sized = (extra: number) => {
      const events = clickEvents('edge', 3);
      const base = JSON.stringify(events).length;
      events[2] = {
        ...events[2]!,
        ua: events[2]!.ua + 'x'.repeat(MAX_PACKED_CHARS + 2 - base + extra),
      };
      return events;
    };
    const fits = clickMessages(sized(0), 3);
    expect(fits).toHaveLength(1);
    expect(String(fits[0]!.value)).toHaveLength(MAX_PACKED_CHARS + 2);
    const batch = [...sized(1), ...clickEvents('next', 4, 1_000)];
    const split = clickMessages(batch, 3);
    // The event that does not fit opens the next message, which packs up to 3 again.
    expect(split.map((m) => JSON.parse(String(m.value)).length)).toEqual([2, 3, 2]);
    expect(split.flatMap((m) => JSON.parse(String(m.value)))).toEqual(batch);
    expect(split.map((m) => m.timestamp)).toEqual([
      String(batch[1]!.ts),
      String(batch[2]!.ts),
      String(batch[6]!.ts),
    ]);
  });

  it('reads single and packed values side by side; what is not an array as a whole stays as it came', () => {
    const [a, b, c] = clickEvents('mix', 3);
    const values = [
      JSON.stringify(a),
      JSON.stringify([b, c]),
      '[{"v":1,"id":"cut',
      '[]',
      'not json',
      null,
    ];
    const records = clickRecords(incoming(values));
    expect(records).toHaveLength(6);
    expect(String(records[0])).toBe(values[0]);
    expect(records.slice(1, 3)).toEqual([b, c]);
    expect(Buffer.isBuffer(records[3]) && String(records[3])).toBe(values[2]);
    expect(String(records[4])).toBe('not json');
    expect(records[5]).toBeNull();
  });
});
