import type { ClickEvent, DeadLetter } from '@linkpulse/core';
import type { KafkaOutgoingMessage } from './client.js';

/** Header of a dead-lettered message that says why the worker rejected it. */
export const DEAD_LETTER_REASON_HEADER = 'linkpulse-dead-letter-reason';

/**
 * One message per click: keyed by short code (a link's clicks share a partition, so they
 * stay in order), JSON value, and the click's own time as the message timestamp (so that a
 * replay from a timestamp means "clicks since").
 */
export function clickMessages(batch: readonly ClickEvent[]): KafkaOutgoingMessage[] {
  return batch.map((event) => ({
    key: event.code,
    value: JSON.stringify(event),
    timestamp: String(event.ts),
  }));
}

/**
 * One message per dead letter: the record's bytes as they came off the wire (objects from
 * other transports as JSON), the reason in a header.
 */
export function deadLetterMessages(entries: readonly DeadLetter[]): KafkaOutgoingMessage[] {
  return entries.map(({ record, reason }) => ({
    value: recordValue(record),
    headers: { [DEAD_LETTER_REASON_HEADER]: reason },
  }));
}

function recordValue(record: unknown): string | Buffer {
  if (typeof record === 'string' || Buffer.isBuffer(record)) return record;
  if (record instanceof Uint8Array) return Buffer.from(record);
  try {
    return JSON.stringify(record) ?? String(record);
  } catch {
    return String(record); // circular or BigInt: keep what can be kept
  }
}
