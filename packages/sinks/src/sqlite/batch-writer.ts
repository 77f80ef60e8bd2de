import type { EnrichedClick } from '@linkpulse/core';
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { type Fold, prepareFold } from './fold.js';

/** Default of `SqliteSinkOptions.foldThreshold`. */
export const DEFAULT_FOLD_THRESHOLD = 20_000;

type RawParams = [
  id: string,
  code: string,
  ts: number,
  visitorId: string,
  bot: 0 | 1,
  device: string,
  browser: string,
  os: string,
  country: string | null,
  refererHost: string | null,
  method: string,
  utmSource: string | null,
  utmMedium: string | null,
  utmCampaign: string | null,
  utmTerm: string | null,
  utmContent: string | null,
];

/** The folded and the last `seq` of the raw table. */
interface SeqRange {
  from: number;
  to: number;
}

/**
 * The write side of the SQLite sink. Each batch is one immediate transaction that inserts
 * the raw events with `ON CONFLICT (id) DO NOTHING` (a redelivered event is skipped, while
 * a row breaking another constraint fails the batch): one append per event, to the raw
 * table and its id and time indexes. Once `foldThreshold` raw events lie past
 * `folded_seq`, the same transaction folds them into the aggregates and moves it.
 */
export class BatchWriter {
  readonly #insert: Statement<RawParams>;
  readonly #unfolded: Statement<[], SeqRange>;
  readonly #markFolded: Statement<[number]>;
  readonly #fold: Fold;
  readonly #foldThreshold: number;
  readonly #write: Transaction<(batch: readonly EnrichedClick[]) => void>;

  constructor(db: Database, foldThreshold: number) {
    this.#foldThreshold = foldThreshold;
    this.#insert = db.prepare(
      `INSERT INTO linkpulse_clicks (id, code, ts, visitor_id, bot, device, browser, os, country,
         referer_host, method, utm_source, utm_medium, utm_campaign, utm_term, utm_content)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.#unfolded = db.prepare(
      `SELECT value AS "from", (SELECT IFNULL(MAX(seq), 0) FROM linkpulse_clicks) AS "to"
       FROM linkpulse_click_state WHERE name = 'folded_seq'`,
    );
    this.#markFolded = db.prepare(
      `UPDATE linkpulse_click_state SET value = ? WHERE name = 'folded_seq'`,
    );
    this.#fold = prepareFold(db);
    this.#write = db.transaction((batch: readonly EnrichedClick[]) => {
      let inserted = 0;
      for (const click of batch) inserted += this.#add(click);
      if (inserted > 0) this.#foldAtLeast(this.#foldThreshold);
    });
  }

  /** Writes `batch` in one immediate transaction. */
  write(batch: readonly EnrichedClick[]): void {
    this.#write.immediate(batch);
  }

  /** Folds every raw event not folded yet; call inside a write transaction. */
  foldAll(): void {
    this.#foldAtLeast(1);
  }

  #foldAtLeast(count: number): void {
    const range = this.#unfolded.get()!;
    if (range.to - range.from < count) return;
    this.#fold(range);
    this.#markFolded.run(range.to);
  }

  #add(click: EnrichedClick): number {
    const utm = click.utm;
    return this.#insert.run(
      click.id,
      click.code,
      click.ts,
      click.visitorId,
      click.bot ? 1 : 0,
      click.device,
      click.browser,
      click.os,
      click.country,
      click.refererHost,
      click.method,
      utm?.source ?? null,
      utm?.medium ?? null,
      utm?.campaign ?? null,
      utm?.term ?? null,
      utm?.content ?? null,
    ).changes;
  }
}
