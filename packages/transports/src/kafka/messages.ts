import type { ClickEvent, DeadLetter } from '@linkpulse/core';
import type { KafkaIncomingMessage, KafkaOutgoingMessage } from './client.js';

/** Header of a dead-lettered message that says why the worker rejected it. */
export const DEAD_LETTER_REASON_HEADER = 'linkpulse-dead-letter-reason';

/**
 * Most characters of JSON in one packed message (a packed message closes before an event
 * would take it past this). At most 3 bytes per character in UTF-8, so a packed value stays
 * below 768 KiB, under the 1 MiB `message.max.bytes` of a default broker.
 */
export const MAX_PACKED_CHARS = 256 * 1024;

/** `[`: a packed value is a JSON array; a single event's value is a JSON object. */
const OPEN_BRACKET = 0x5b;

/**
 * The messages of one emitter batch. With `eventsPerMessage` 1, one message per click,
 * keyed by short code (a link's clicks share a partition, so they stay in order), its
 * `ClickEvent` JSON as value. Above 1, clicks are packed: each value is a JSON array of up
 * to `eventsPerMessage` events (and about {@link MAX_PACKED_CHARS} of text), without key, so
 * the client's partitioner spreads the messages over the partitions. The message timestamp
 * is the time of its latest click, so a replay from a time reads every click since.
 */
export function clickMessages(
  batch: readonly ClickEvent[],
  eventsPerMessage: number,
): KafkaOutgoingMessage[] {
  if (eventsPerMessage === 1) {
    return batch.map((event) => ({
      key: event.code,
      value: JSON.stringify(event),
      timestamp: String(event.ts),
    }));
  }
  const messages: KafkaOutgoingMessage[] = [];
  for (let start = 0; start < batch.length; ) {
    // Events are turned into JSON one message at a time (one call instead of one per
    // event); only a message that comes out too long is built again event by event.
    let events = batch.slice(start, start + eventsPerMessage);
    let value = JSON.stringify(events);
    if (value.length > MAX_PACKED_CHARS + 2)
      [events, value] = packedUpTo(batch, start, events.length);
    let latest = 0;
    for (const event of events) latest = Math.max(latest, event.ts);
    messages.push({ value, timestamp: String(latest) });
    start += events.length;
  }
  return messages;
}

/**
 * The first events of `batch` from `start` on (at most `count`) that make a packed value
 * of at most {@link MAX_PACKED_CHARS} characters besides its brackets, at least one, and
 * that value.
 */
function packedUpTo(
  batch: readonly ClickEvent[],
  start: number,
  count: number,
): [ClickEvent[], string] {
  const values: string[] = [];
  let chars = 0;
  for (let i = start; i < start + count; i++) {
    const value = JSON.stringify(batch[i]);
    if (values.length > 0 && chars + value.length > MAX_PACKED_CHARS) break;
    values.push(value);
    chars += value.length + 1;
  }
  return [batch.slice(start, start + values.length), `[${values.join(',')}]`];
}

/**
 * The records of consumed messages, as the worker decodes them: a packed value (a JSON
 * array) gives one parsed object per event, so each is validated and dead-lettered on its
 * own; a value that starts like an array but is not one as a whole stays as it came (the
 * worker dead-letters its bytes); single-event values are handed over as they are.
 */
export function clickRecords(messages: readonly KafkaIncomingMessage[]): unknown[] {
  const records: unknown[] = [];
  for (const { value } of messages) {
    const events = value?.[0] === OPEN_BRACKET ? packedEvents(value) : undefined;
    if (events === undefined) records.push(value);
    else for (const event of events) records.push(event);
  }
  return records;
}

/** The elements of a packed value, or `undefined` when it is not a JSON array. */
function packedEvents(value: Buffer): unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One message per dead letter: the record's bytes as they came off the wire (objects from
 * other transports, or events of a packed value, as JSON), the reason in a header.
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
