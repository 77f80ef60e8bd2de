import { type ClickSink, ClickWorker, MemoryTransport, type WorkerCounters } from '@linkpulse/core';
import {
  bindLabelledCounters,
  createPipelineMetrics,
  registerConsumerLag,
  registerRedirectMetrics,
  registerWorkerMetrics,
} from '@linkpulse/core/prometheus';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

/** The value of the sample line that starts with `series` (name and labels, exactly). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  if (line === undefined) throw new Error(`${series} is not in the metrics text:\n${text}`);
  return Number(line.slice(series.length + 1));
}

const click = (id: string) => ({
  v: 1 as const,
  id,
  code: 'abc',
  ts: Date.now(),
  visitorId: 'AAAAAAAAAAAAAAAA',
  ipPrefix: '203.0.113.0',
  ua: 'Mozilla/5.0',
  referer: null,
  method: 'GET' as const,
  utm: null,
});

describe('bindLabelledCounters', () => {
  it('gives each source its own series and rejects mismatched label names', async () => {
    const registry = new Registry();
    const a = { handled: 1 };
    const b = { handled: 5 };
    bindLabelledCounters(
      [
        { labels: { group: 'a' }, read: () => a },
        { labels: { group: 'b' }, read: () => b },
      ],
      [{ key: 'handled', name: 'handled_total', help: 'h', type: 'counter' }],
      { registry },
    );
    a.handled = 3;
    const text = await registry.metrics();
    expect(sample(text, 'linkpulse_handled_total{group="a"}')).toBe(3);
    expect(sample(text, 'linkpulse_handled_total{group="b"}')).toBe(5);
    expect(() =>
      bindLabelledCounters(
        [
          { labels: { group: 'a' }, read: () => a },
          { labels: { node: 'b' }, read: () => b },
        ],
        [{ key: 'handled', name: 'other_total', help: 'h', type: 'counter' }],
        { registry: new Registry() },
      ),
    ).toThrow(TypeError);
  });
});

describe('registerWorkerMetrics', () => {
  it('exposes one worker unlabelled, or several with their labels', async () => {
    const counters = (written: number): WorkerCounters => ({
      batches: 1,
      failedBatches: 0,
      events: written + 1,
      written,
      duplicates: 1,
      deadLettered: 2,
      sinkErrors: 3,
      lastBatchMs: 4,
    });
    const single = new Registry();
    registerWorkerMetrics({ counters: () => counters(7) }, { registry: single });
    const text = await single.metrics();
    expect(sample(text, 'linkpulse_worker_events_written_total')).toBe(7);
    expect(sample(text, 'linkpulse_worker_dead_lettered_total')).toBe(2);
    expect(sample(text, 'linkpulse_worker_sink_errors_total')).toBe(3);

    const several = new Registry();
    registerWorkerMetrics(
      [
        { labels: { group: 'counters' }, worker: { counters: () => counters(10) } },
        { labels: { group: 'history' }, worker: { counters: () => counters(20) } },
      ],
      { registry: several },
    );
    const labelled = await several.metrics();
    expect(sample(labelled, 'linkpulse_worker_events_written_total{group="counters"}')).toBe(10);
    expect(sample(labelled, 'linkpulse_worker_events_written_total{group="history"}')).toBe(20);
  });
});

describe('registerRedirectMetrics', () => {
  it('records a latency histogram by status', async () => {
    const registry = new Registry();
    const redirects = registerRedirectMetrics({ registry, buckets: [0.01, 0.1] });
    redirects.observe(0.005, 302);
    redirects.observe(0.05, 302);
    redirects.observe(0.5, 404);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE linkpulse_redirect_duration_seconds histogram');
    expect(sample(text, 'linkpulse_redirect_duration_seconds_bucket{le="0.01",status="302"}')).toBe(
      1,
    );
    expect(sample(text, 'linkpulse_redirect_duration_seconds_bucket{le="0.1",status="302"}')).toBe(
      2,
    );
    expect(sample(text, 'linkpulse_redirect_duration_seconds_count{status="302"}')).toBe(2);
    expect(sample(text, 'linkpulse_redirect_duration_seconds_count{status="404"}')).toBe(1);
  });
});

describe('createPipelineMetrics', () => {
  it('times batches by group and outcome, and sink writes by sink', async () => {
    const registry = new Registry();
    const metrics = createPipelineMetrics({ registry });
    const transport = new MemoryTransport();
    let failNext = true;
    const flaky: ClickSink = {
      async write() {
        if (failNext) {
          failNext = false;
          throw new Error('transient');
        }
      },
      close: async () => {},
    };
    const written: string[] = [];
    const memory: ClickSink = {
      write: async (batch) => void written.push(...batch.map((c) => c.id)),
      close: async () => {},
    };
    const worker = new ClickWorker({
      consumer: metrics.consumer(transport),
      sinks: [metrics.sink(memory, 'memory'), metrics.sink(flaky, 'flaky')],
      group: 'g1',
      retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
    });
    await worker.start();
    await transport.send([
      click('01J0000000000000000000000A'),
      click('01J0000000000000000000000B'),
    ]);
    await transport.drain({ timeoutMs: 5_000 });
    await worker.stop();

    const text = await registry.metrics();
    // The first delivery failed on the flaky sink and was redelivered.
    expect(
      sample(text, 'linkpulse_worker_batch_duration_seconds_count{group="g1",outcome="failed"}'),
    ).toBe(1);
    expect(
      sample(text, 'linkpulse_worker_batch_duration_seconds_count{group="g1",outcome="ok"}'),
    ).toBe(1);
    expect(sample(text, 'linkpulse_worker_batch_records_sum{group="g1"}')).toBe(4);
    expect(sample(text, 'linkpulse_sink_write_errors_total{sink="flaky"}')).toBe(1);
    expect(sample(text, 'linkpulse_sink_write_errors_total{sink="memory"}')).toBe(0);
    expect(sample(text, 'linkpulse_sink_events_written_total{sink="flaky"}')).toBe(2);
    expect(
      sample(text, 'linkpulse_sink_write_duration_seconds_count{sink="flaky",outcome="ok"}'),
    ).toBe(1);
    expect(new Set(written).size).toBe(2);
  });

  it("keeps the wrapped consumer's concurrentBatches, which the worker's early write needs", () => {
    const metrics = createPipelineMetrics({ registry: new Registry() });
    const transport = new MemoryTransport();
    const bounded = { consume: transport.consume.bind(transport), concurrentBatches: 4 };
    expect(metrics.consumer(bounded).concurrentBatches).toBe(4);
    expect(metrics.consumer(transport).concurrentBatches).toBeUndefined();
  });
});

describe('registerConsumerLag', () => {
  it('exposes lag per partition and survives a failing read', async () => {
    const registry = new Registry();
    const errors: unknown[] = [];
    let fail = false;
    registerConsumerLag(
      async () => {
        if (fail) throw new Error('broker down');
        return [
          { group: 'g', topic: 't', partition: 0, lag: 5 },
          { group: 'g', topic: 't', partition: 1, lag: 0 },
        ];
      },
      { registry, onError: (error) => errors.push(error) },
    );
    let text = await registry.metrics();
    expect(sample(text, 'linkpulse_consumer_lag{group="g",topic="t",partition="0"}')).toBe(5);
    expect(sample(text, 'linkpulse_consumer_lag{group="g",topic="t",partition="1"}')).toBe(0);
    fail = true;
    text = await registry.metrics();
    expect(text).not.toContain('linkpulse_consumer_lag{');
    expect(errors).toHaveLength(1);
  });
});
