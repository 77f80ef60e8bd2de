import { join } from 'node:path';
import {
  createUlid,
  type EnrichedClick,
  Enricher,
  toClickEvent,
  VisitorHasher,
} from '@linkpulse/core';
import { createEmbedded } from '@linkpulse/embedded';
import Database from 'better-sqlite3';
import { benchThreadModule } from '../servers/threads.js';
import { BENCH_SECRET, benchClick } from '../traffic/clicks.js';
import { pipelineResult, startClock } from './clock.js';
import { emitPaced, waitFor } from './pace.js';
import type { PipelineResult, PipelineSpec } from './pipeline-types.js';

/**
 * The embedded pipeline as `createEmbedded` builds it: emitter → analytics thread (memory
 * transport → worker (decode, dedupe, enrich) → SQLite sink (raw events and aggregates)).
 */
export async function memoryToSqlite(spec: PipelineSpec): Promise<PipelineResult> {
  const embedded = await createEmbedded({
    dbPath: join(spec.dir, 'pipeline.db'),
    secret: BENCH_SECRET,
    thread: { module: benchThreadModule('servers/embedded-thread.ts') },
  });
  const { emitter, analytics } = embedded;
  const written = () => analytics.worker.counters().written;
  const clock = startClock();
  await emitPaced(emitter, spec.events, written);
  await emitter.flush();
  await waitFor(() => written() + emitter.counters().dropped >= spec.events, 600_000, 'the worker');
  const reading = clock.stop();
  const { dropped } = emitter.counters();
  await embedded.close();
  return pipelineResult(spec, written(), dropped, reading);
}

const COLUMNS = [
  'id',
  'code',
  'ts',
  'visitor_id',
  'ip_prefix',
  'ua',
  'referer',
  'method',
  'utm',
  'device',
  'browser',
  'os',
  'bot',
  'country',
  'referer_host',
] as const;

/**
 * Baseline: the same enriched rows (prepared beforehand, not timed) inserted with one
 * prepared `INSERT OR IGNORE` into a plain table, 500 rows per transaction.
 */
export async function rawSqlite(spec: PipelineSpec): Promise<PipelineResult> {
  const ulid = createUlid();
  const visitors = new VisitorHasher(BENCH_SECRET);
  const enricher = new Enricher();
  const rows: EnrichedClick[] = [];
  const now = Date.now();
  for (let i = 0; i < spec.events; i++) {
    rows.push(enricher.enrich(toClickEvent(benchClick(i), now + i, ulid, visitors)));
  }
  const db = new Database(join(spec.dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.exec(
    `CREATE TABLE clicks (${COLUMNS.map((c) => (c === 'id' ? 'id TEXT PRIMARY KEY' : c)).join(', ')})`,
  );
  const insert = db.prepare(
    `INSERT OR IGNORE INTO clicks VALUES (${COLUMNS.map(() => '?').join(', ')})`,
  );
  const insertMany = db.transaction((batch: readonly EnrichedClick[]) => {
    for (const r of batch) {
      insert.run(
        r.id,
        r.code,
        r.ts,
        r.visitorId,
        r.ipPrefix,
        r.ua,
        r.referer,
        r.method,
        r.utm === null ? null : JSON.stringify(r.utm),
        r.device,
        r.browser,
        r.os,
        r.bot ? 1 : 0,
        r.country,
        r.refererHost,
      );
    }
  });
  const clock = startClock();
  for (let i = 0; i < rows.length; i += 500) insertMany(rows.slice(i, i + 500));
  const reading = clock.stop();
  const delivered = (db.prepare('SELECT count(*) AS n FROM clicks').get() as { n: number }).n;
  db.close();
  return pipelineResult(spec, delivered, 0, reading);
}
