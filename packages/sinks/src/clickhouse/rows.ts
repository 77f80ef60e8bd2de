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

/** The second {@link dateTimeText} formatted last, and its text: clicks come in time order. */
let lastSecond = Number.NaN;
let lastSecondText = '';

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
  return `${lastSecondText}.${String(millis - second * 1000).padStart(3, '0')}`;
}

/** The raw row of one click. */
export function toRawRow(click: EnrichedClick): RawClickRow {
  const utm = click.utm ?? {};
  return {
    id: click.id,
    code: click.code,
    ts: dateTimeText(click.ts, true),
    visitor_id: click.visitorId,
    ip_prefix: click.ipPrefix ?? '',
    ua: click.ua,
    referer: click.referer ?? '',
    referer_host: click.refererHost ?? '',
    method: click.method,
    device: click.device,
    browser: click.browser,
    os: click.os,
    country: click.country ?? '',
    bot: click.bot,
    utm_source: utm.source ?? '',
    utm_medium: utm.medium ?? '',
    utm_campaign: utm.campaign ?? '',
    utm_term: utm.term ?? '',
    utm_content: utm.content ?? '',
  };
}

/** The columns of the raw `clicks` table, in the order {@link rawRowsText} sends them. */
export const RAW_COLUMNS: readonly (keyof RawClickRow)[] = [
  'id',
  'code',
  'ts',
  'visitor_id',
  'ip_prefix',
  'ua',
  'referer',
  'referer_host',
  'method',
  'device',
  'browser',
  'os',
  'country',
  'bot',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
];

/**
 * The raw rows of `clicks` as the body of an `INSERT … (RAW_COLUMNS) FORMAT
 * JSONCompactEachRow`: one JSON array of values per line. Cheaper to build and for
 * ClickHouse to parse than `JSONEachRow`, whose every row repeats the column names.
 */
export function rawRowsText(clicks: readonly EnrichedClick[]): string {
  const lines = clicks.map((click) => {
    const row = toRawRow(click);
    return JSON.stringify(RAW_COLUMNS.map((column) => row[column]));
  });
  return lines.join('\n');
}

/** The clicks of `batch` with ids not seen before in it, in batch order. */
export function distinctById(batch: readonly EnrichedClick[]): EnrichedClick[] {
  const seen = new Set<string>();
  return batch.filter((click) => !seen.has(click.id) && seen.add(click.id));
}

/**
 * `insert_deduplication_token` of a set of clicks: a hash of their sorted ids, so the
 * same events give the same token whatever their order.
 */
export function deduplicationToken(clicks: readonly EnrichedClick[]): string {
  const hash = createHash('sha256');
  for (const id of clicks.map((c) => c.id).sort()) hash.update(id).update('\n');
  return `linkpulse-${hash.digest('hex')}`;
}
