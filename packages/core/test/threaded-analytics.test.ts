import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type AnalyticsThreadErrorContext,
  type ClickEvent,
  type ClickInput,
  createShortener,
  createThreadedAnalytics,
  type EnrichedClick,
  isLinkPulseError,
  MemorySink,
  runAnalyticsThread,
  type StatsReader,
  type ThreadedAnalytics,
  type ThreadedAnalyticsOptions,
  toClickEvent,
  VisitorHasher,
} from '@linkpulse/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { FixtureThreadData } from './fixtures/analytics-thread.js';

const FIXTURE = new URL('./fixtures/analytics-thread.ts', import.meta.url);
const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

const dirs: string[] = [];
const open: ThreadedAnalytics[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((analytics) => analytics.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'linkpulse-thread-'));
  dirs.push(dir);
  return join(dir, 'clicks.jsonl');
}

/** What the fixture thread wrote: clicks, then the close markers. */
function written(file: string): { clicks: EnrichedClick[]; markers: string[] } {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  const clicks: EnrichedClick[] = [];
  const markers: string[] = [];
  for (const line of lines.filter(Boolean)) {
    const record = JSON.parse(line) as EnrichedClick | { closed: string };
    if ('closed' in record) markers.push(record.closed);
    else clicks.push(record);
  }
  return { clicks, markers };
}

/** Stats on the main thread from the clicks the thread wrote to `file`. */
function fileStats(file: string): StatsReader {
  return {
    async stats(code, query) {
      const sink = new MemorySink();
      await sink.write(written(file).clicks);
      return sink.stats(code, query);
    },
  };
}

async function startThread(
  data: FixtureThreadData,
  options: Partial<ThreadedAnalyticsOptions<FixtureThreadData>> = {},
): Promise<ThreadedAnalytics> {
  const analytics = await createThreadedAnalytics({ module: FIXTURE, data, ...options });
  open.push(analytics);
  return analytics;
}

/** A thread writing `file`, and the contexts of the errors it reports. */
async function startThreadWithErrors(file: string) {
  const errors: AnalyticsThreadErrorContext[] = [];
  const analytics = await startThread(
    { file },
    { onError: (_error, context) => errors.push(context) },
  );
  return { analytics, errors };
}

function click(i: number) {
  return { code: 'thread', ip: `198.51.100.${i % 200}`, userAgent: UA, referer: 'https://t.co/x' };
}

describe('createThreadedAnalytics', () => {
  it('carries clicks emitted here to the sinks of the thread and answers stats', async () => {
    const file = tempFile();
    const analytics = await startThread({ file }, { stats: fileStats(file) });
    const shortener = await createShortener({
      secret: 'thread-test',
      analytics,
      emitter: { flushIntervalMs: 10 },
    });
    await shortener.shorten({ url: 'https://example.com/t', code: 'thread' });
    for (let i = 0; i < 120; i++) shortener.recordClick({ ...click(i), query: 'utm_source=news' });
    await expect.poll(() => analytics.worker.counters().written, { timeout: 5_000 }).toBe(120);

    const stats = await shortener.stats('thread');
    expect(stats.total).toBe(120);
    expect(stats.top.referrers).toEqual([{ value: 't.co', clicks: 120 }]);
    expect(stats.top.browsers).toEqual([{ value: 'Chrome', clicks: 120 }]);
    expect(analytics.counters()).toEqual({ accepted: 120, backlog: 0, waiting: 0, rejected: 0 });
    const { clicks } = written(file);
    expect(clicks[0]).toMatchObject({ code: 'thread', utm: { source: 'news' }, device: 'desktop' });
    await shortener.close();
    expect(written(file).markers).toEqual(['sink', 'thread']);
  });

  it('pushes back on the emitter when the thread is slow, within the bound, losing nothing it accepted', async () => {
    const file = tempFile();
    const maxBacklog = 1_000;
    const analytics = await startThread({ file, writeDelayMs: 30 }, { maxBacklog });
    const shortener = await createShortener({
      secret: 'thread-test',
      analytics,
      emitter: { capacity: 2_000, maxBatchSize: 250, flushIntervalMs: 5 },
    });
    let peakBacklog = 0;
    let peakWaiting = 0;
    const sampler = setInterval(() => {
      const { backlog, waiting } = analytics.counters();
      peakBacklog = Math.max(peakBacklog, backlog);
      peakWaiting = Math.max(peakWaiting, waiting);
    }, 1);
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 1_000; i++) shortener.recordClick(click(i));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await shortener.close({ timeoutMs: 30_000 });
    clearInterval(sampler);

    const emitter = shortener.emitter.counters();
    const counters = analytics.counters();
    expect(emitter.dropped).toBeGreaterThan(0);
    expect(emitter.emitted).toBe(emitter.sent + emitter.dropped);
    expect(peakWaiting).toBeGreaterThan(0);
    expect(peakBacklog).toBeGreaterThan(0);
    expect(peakBacklog).toBeLessThanOrEqual(maxBacklog);
    expect(counters.accepted).toBe(emitter.sent);
    const ids = new Set(written(file).clicks.map((clicked) => clicked.id));
    expect(ids.size).toBe(counters.accepted);
    expect(analytics.worker.counters().written).toBe(counters.accepted);
  });

  it('close() delivers what is buffered before the sinks and the thread close', async () => {
    const file = tempFile();
    const analytics = await startThread({ file, writeDelayMs: 5 });
    const shortener = await createShortener({ secret: 'thread-test', analytics });
    for (let i = 0; i < 1_234; i++) shortener.recordClick(click(i));
    await shortener.close();
    const { clicks, markers } = written(file);
    expect(clicks).toHaveLength(1_234);
    expect(markers).toEqual(['sink', 'thread']);
    expect(analytics.worker.counters()).toMatchObject({ written: 1_234, events: 1_234 });
    await expect(analytics.producer.send([])).rejects.toSatisfy((error) =>
      isLinkPulseError(error, 'unavailable'),
    );
  });

  it('does not post a batch of events or clicks again when it is sent again after the thread accepted it', async () => {
    const file = tempFile();
    const analytics = await startThread({ file });
    const batch: ClickEvent[] = [1, 2].map((i) => ({
      v: 1,
      id: `01J000000000000000000000${i}A`,
      code: 'thread',
      ts: 1_718_000_000_000,
      visitorId: 'visitor-1',
      ipPrefix: null,
      ua: UA,
      referer: null,
      method: 'GET',
      utm: null,
    }));
    const clicks = {
      clicks: [click(1), click(2)],
      times: new Float64Array([1e12, 1e12]),
      length: 2,
    };
    const sends = [
      () => analytics.producer.send(batch),
      () => analytics.producer.sendClicks(clicks, 'thread-test'),
    ];
    for (const send of sends) {
      await send();
      // As the emitter does when its send timed out but the thread accepted it meanwhile.
      await send();
    }
    await analytics.producer.send([...batch]);
    await analytics.producer.sendClicks({ ...clicks }, 'thread-test');
    await expect.poll(() => analytics.counters().backlog).toBe(0);
    expect(analytics.counters().accepted).toBe(8);
    expect(analytics.worker.counters().events).toBe(8);
  });

  it('builds the events of emitted clicks in the thread as the emitter would here', async () => {
    const file = tempFile();
    const { analytics, errors } = await startThreadWithErrors(file);
    const secret = new Uint8Array([1, 2, 3, 250]);
    const shortener = await createShortener({ secret, analytics });
    const inputs: ClickInput[] = [
      { code: 'thread', ip: '203.0.113.9', userAgent: UA, referer: 'https://t.co/x', ts: 1e12 },
      { code: 'thread', ip: '2001:db8::7', method: 'HEAD', query: 'utm_medium=qr', ts: 1e12 + 1 },
      { code: 'not a code!', ip: '203.0.113.9', userAgent: UA, ts: 1e12 + 2 },
    ];
    for (const input of inputs) shortener.recordClick(input);
    await shortener.close();
    expect(analytics.worker.counters()).toMatchObject({ written: 2, deadLettered: 1 });
    expect(errors).toContainEqual({ stage: 'decode' });
    const visitors = new VisitorHasher(secret);
    const expected = inputs
      .slice(0, 2)
      .map((input) => toClickEvent(input, input.ts!, () => '', visitors));
    const byTime = written(file).clicks.sort((a, b) => a.ts - b.ts);
    expect(byTime).toHaveLength(2);
    for (const [i, click] of byTime.entries()) {
      const { id: _, ...fields } = expected[i]!;
      expect(click).toMatchObject(fields);
    }
  });

  it.each([
    ['rejects', false],
    ['throws', true],
  ])(
    'forwards the events it builds to a producer that first %s; a retry keeps the ids',
    async (_, throwSync) => {
      const file = tempFile();
      const errors: string[] = [];
      const analytics = await startThread({ file, forward: { failFirst: 2, throwSync } });
      const shortener = await createShortener({
        secret: 'thread-test',
        analytics,
        emitter: {
          retry: { initialDelayMs: 1, maxDelayMs: 1 },
          onError: (e) => errors.push(String(e)),
        },
      });
      for (let i = 0; i < 30; i++) shortener.recordClick({ ...click(i), ts: 1e12 + i });
      await shortener.close();

      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const refused = lines.filter((line) => 'refused' in line).map((line) => line.refused);
      const sent: ClickEvent[] = lines.filter((line) => 'sent' in line).map((line) => line.sent);
      expect(refused).toHaveLength(2);
      expect(refused[1]).toEqual(refused[0]);
      expect(sent.map((event) => event.id)).toEqual(refused[0]);
      const visitors = new VisitorHasher('thread-test');
      expect(sent[3]!.visitorId).toBe(visitors.visitorId(1e12 + 3, click(3).ip, UA));
      expect(lines.slice(-2)).toEqual([{ closed: 'producer' }, { closed: 'thread' }]);
      expect(errors).toEqual(['Error: broker unavailable', 'Error: broker unavailable']);
      expect(shortener.emitter.counters()).toMatchObject({ sent: 30, dropped: 0, failedSends: 2 });
      expect(analytics.counters()).toMatchObject({ accepted: 30, rejected: 60, backlog: 0 });
    },
  );

  it('lets the process exit once a forwarding thread has sent everything, without close()', () => {
    const file = tempFile();
    const script = `
      import { createThreadedAnalytics } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
      const analytics = await createThreadedAnalytics({
        module: ${JSON.stringify(FIXTURE.href)},
        data: { file: ${JSON.stringify(file)}, forward: { failFirst: 0 } },
      });
      const clicks = [{ code: 'thread', ip: '198.51.100.1' }];
      await analytics.producer.sendClicks({ clicks, times: new Float64Array([1e12]), length: 1 }, 's');
    `;
    const entry = join(dirname(file), 'send-and-return.mjs');
    writeFileSync(entry, script);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@linkpulse/source', entry],
      {
        cwd: process.cwd(),
        timeout: 10_000,
        encoding: 'utf8',
      },
    );
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('"sent"');
  });

  it('hands events that are not well-formed to the worker as they are', async () => {
    const file = tempFile();
    const { analytics, errors } = await startThreadWithErrors(file);
    const bad = { v: 2, id: 'x', code: 'thread' } as unknown as ClickEvent;
    await analytics.producer.send([bad]);
    await expect.poll(() => analytics.worker.counters().deadLettered).toBe(1);
    expect(errors).toContainEqual({ stage: 'decode' });
  });

  it('passes errors the thread module reports to onError', async () => {
    const reported: [string, AnalyticsThreadErrorContext][] = [];
    await startThread(
      { file: tempFile(), reportAtStart: 'disk almost full' },
      { onError: (error, context) => reported.push([error.message, context]) },
    );
    await expect.poll(() => reported).toEqual([['disk almost full', { stage: 'fixture' }]]);
  });

  it('rejects creation with the error of a setup that throws', async () => {
    const creating = createThreadedAnalytics({
      module: FIXTURE,
      data: { file: tempFile(), failSetup: 'no database at /nowhere' },
    });
    await expect(creating).rejects.toThrow(
      "the analytics thread's setup failed: no database at /nowhere",
    );
    await expect(creating).rejects.toSatisfy((error: Error) => {
      return isLinkPulseError(error, 'unavailable') && (error.cause as Error).name === 'Error';
    });
  });

  it('rejects creation when the module does not run a thread, is missing or never gets ready', async () => {
    await expect(
      createThreadedAnalytics({ module: new URL('./fixtures/idle-thread.ts', import.meta.url) }),
    ).rejects.toThrow(
      /exited with code 0 before it was ready \(does its module call runAnalyticsThread\?\)/,
    );
    await expect(
      createThreadedAnalytics({ module: new URL('./fixtures/missing.js', import.meta.url) }),
    ).rejects.toThrow(/the analytics thread failed: Cannot find module/);
    await expect(
      createThreadedAnalytics({
        module: new URL('./fixtures/hanging-thread.ts', import.meta.url),
        startTimeoutMs: 1_000,
      }),
    ).rejects.toThrow('the analytics thread was not ready in 1000 ms');
  });

  it('reports a thread that dies, rejects later sends and still closes', async () => {
    const file = tempFile();
    const reported: [Error, AnalyticsThreadErrorContext][] = [];
    const analytics = await startThread(
      { file, crashAfterFirstWrite: true },
      { onError: (error, context) => reported.push([error, context]) },
    );
    const shortener = await createShortener({
      secret: 'thread-test',
      analytics,
      emitter: { flushIntervalMs: 10, retry: { initialDelayMs: 10, maxDelayMs: 20 } },
    });
    expect(analytics.running).toBe(true);
    for (let i = 0; i < 10; i++) shortener.recordClick(click(i));
    await expect.poll(() => reported.length, { timeout: 5_000 }).toBe(1);
    expect(analytics.running).toBe(false);
    const [error, context] = reported[0]!;
    expect(context).toEqual({ stage: 'thread' });
    expect(error.message).toBe('the analytics thread crashed: fixture thread crashed');
    expect(written(file).clicks).toHaveLength(10);

    shortener.recordClick(click(11));
    await expect(analytics.producer.send([])).rejects.toThrow('the analytics thread is dead');
    const started = Date.now();
    await shortener.close({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(shortener.emitter.counters()).toMatchObject({ sent: 10, dropped: 1 });
    expect(analytics.counters().rejected).toBeGreaterThan(0);
  });

  it('refuses a bad bound, and runAnalyticsThread refuses to run on the main thread', async () => {
    await expect(createThreadedAnalytics({ module: FIXTURE, maxBacklog: 0 })).rejects.toThrow(
      RangeError,
    );
    expect(() => runAnalyticsThread(() => ({ sinks: [] }))).toThrow(
      'runAnalyticsThread must run in a thread started by createThreadedAnalytics',
    );
  });
});
