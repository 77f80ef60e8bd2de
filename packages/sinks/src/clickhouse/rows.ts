import { createHash } from 'node:crypto';
import type { EnrichedClick } from '@linkpulse/core';

/** One row of the raw `clicks` table, by column name; `null`s become `''`. */
export interface RawClickRow {
  id: string;
  code: string;
  /** `YYYY-MM-DD hh:mm:ss.sss`, read in the column's time zone (UTC). */
  ts: string;
  visitor_id: string;
  ip_prefix: string;
  ua: string;
  referer: string;
  referer_host: string;
  method: string;
  device: string;
  browser: string;
  os: string;
  country: string;
  bot: boolean;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_term: string;
  utm_content: string;
}

/**
 * The second and the millisecond {@link dateTimeText} formatted last, and their texts:
 * clicks come in time order, many in one millisecond.
 */
let lastSecond = Number.NaN;
let lastSecondText = '';
let lastMillis = Number.NaN;
let lastMillisText = '';

/**
 * Epoch milliseconds as ClickHouse date-time text in UTC: `YYYY-MM-DD hh:mm:ss.sss` for
 * `DateTime64(3, 'UTC')` (`ms` true), `YYYY-MM-DD hh:mm:ss` for `DateTime('UTC')`.
 */
export function dateTimeText(epochMs: number, ms: boolean): string {
  const millis = Math.trunc(epochMs);
  const second = Math.floor(millis / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second * 1000).toISOString().replace('T', ' ').slice(0, 19);
  }
  if (!ms) return lastSecondText;
  if (millis !== lastMillis) {
    lastMillis = millis;
    lastMillisText = `${lastSecondText}.${String(millis - second * 1000).padStart(3, '0')}`;
  }
  return lastMillisText;
}

/**
 * How each column of the raw `clicks` table is read off a click, in the order the sink
 * sends the columns: the one place that maps click fields to columns.
 */
const RAW_COLUMN_VALUES: {
  readonly [Column in keyof RawClickRow]: (click: EnrichedClick) => RawClickRow[Column];
} = {
  id: (click) => click.id,
  code: (click) => click.code,
  ts: (click) => dateTimeText(click.ts, true),
  visitor_id: (click) => click.visitorId,
  ip_prefix: (click) => click.ipPrefix ?? '',
  ua: (click) => click.ua,
  referer: (click) => click.referer ?? '',
  referer_host: (click) => click.refererHost ?? '',
  method: (click) => click.method,
  device: (click) => click.device,
  browser: (click) => click.browser,
  os: (click) => click.os,
  country: (click) => click.country ?? '',
  bot: (click) => click.bot,
  utm_source: (click) => click.utm?.source ?? '',
  utm_medium: (click) => click.utm?.medium ?? '',
  utm_campaign: (click) => click.utm?.campaign ?? '',
  utm_term: (click) => click.utm?.term ?? '',
  utm_content: (click) => click.utm?.content ?? '',
};

/** The columns of the raw `clicks` table, in the order {@link rawColumnsText} sends them. */
export const RAW_COLUMNS = Object.keys(RAW_COLUMN_VALUES) as readonly (keyof RawClickRow)[];

/** The raw row of one click. */
export function toRawRow(click: EnrichedClick): RawClickRow {
  const row: Partial<Record<keyof RawClickRow, string | boolean>> = {};
  for (const column of RAW_COLUMNS) row[column] = RAW_COLUMN_VALUES[column](click);
  return row as RawClickRow;
}

/**
 * The raw rows of `clicks` as the body of an `INSERT … (RAW_COLUMNS) FORMAT
 * JSONCompactColumns`: one JSON array of values per column, in one JSON array. A single
 * `JSON.stringify` builds it (one per row costs more), and ClickHouse parses it with less
 * work than a row format such as `JSONCompactEachRow`.
 */
export function rawColumnsText(clicks: readonly EnrichedClick[]): string {
  return JSON.stringify(
    RAW_COLUMNS.map((column) =>
      clicks.map(RAW_COLUMN_VALUES[column] as (click: EnrichedClick) => string | boolean),
    ),
  );
}

/** Whether the ids of `clicks` are strictly increasing, as those of one emitter are. */
function idsIncrease(clicks: readonly EnrichedClick[]): boolean {
  for (let i = 1; i < clicks.length; i++) if (!(clicks[i - 1]!.id < clicks[i]!.id)) return false;
  return true;
}

/** The clicks of `batch` with ids not seen before in it, in batch order. */
export function distinctById(batch: readonly EnrichedClick[]): readonly EnrichedClick[] {
  if (idsIncrease(batch)) return batch;
  const seen = new Set<string>();
  return batch.filter((click) => !seen.has(click.id) && seen.add(click.id));
}

/**
 * `insert_deduplication_token` of a set of clicks: a hash of their sorted ids (each
 * followed by a line feed), so the same events give the same token whatever their order.
 */
export function deduplicationToken(clicks: readonly EnrichedClick[]): string {
  const ids = clicks.map((click) => click.id);
  if (!idsIncrease(clicks)) ids.sort();
  const text = ids.length === 0 ? '' : `${ids.join('\n')}\n`;
  return `linkpulse-${createHash('sha256').update(text).digest('hex')}`;
}
