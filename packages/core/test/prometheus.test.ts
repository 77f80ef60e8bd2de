import { ClickEmitter, type ClickEvent } from '@linkpulse/core';
import { bindCounters, registerEmitterMetrics } from '@linkpulse/core/prometheus';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

function sample(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} is not in the metrics text`);
  return Number(line.slice(name.length + 1));
}

describe('registerEmitterMetrics', () => {
  let emitter: ClickEmitter | undefined;
  afterEach(async () => {
    await emitter?.close({ timeoutMs: 10 });
  });

  it('exposes the emitter counters, read at scrape time', async () => {
    const sent: ClickEvent[] = [];
    emitter = new ClickEmitter({
      secret: 's',
      capacity: 3,
      transport: { send: async (batch) => void sent.push(...batch), close: async () => {} },
    });
    const registry = new Registry();
    registerEmitterMetrics(emitter, { registry });
    for (let i = 0; i < 5; i++) emitter.emit({ code: 'abc', ip: '192.0.2.1' });

    let text = await registry.metrics();
    expect(text).toContain('# TYPE linkpulse_emitter_events_emitted_total counter');
    expect(text).toContain('# TYPE linkpulse_emitter_queue_depth gauge');
    expect(sample(text, 'linkpulse_emitter_events_emitted_total')).toBe(5);
    expect(sample(text, 'linkpulse_emitter_events_dropped_total')).toBe(2);
    expect(sample(text, 'linkpulse_emitter_queue_depth')).toBe(3);
    expect(sample(text, 'linkpulse_emitter_events_sent_total')).toBe(0);
    expect(sample(text, 'linkpulse_emitter_send_failures_total')).toBe(0);
    expect(sample(text, 'linkpulse_emitter_in_flight')).toBe(0);

    await emitter.flush();
    text = await registry.metrics();
    expect(sample(text, 'linkpulse_emitter_events_sent_total')).toBe(3);
    expect(sample(text, 'linkpulse_emitter_queue_depth')).toBe(0);
    expect(sent).toHaveLength(3);
  });

  it('takes a prefix and can be unregistered and bound again', async () => {
    emitter = new ClickEmitter({
      secret: 's',
      transport: { send: async () => {}, close: async () => {} },
    });
    const registry = new Registry();
    const binding = registerEmitterMetrics(emitter, { registry, prefix: 'app_' });
    expect(await registry.metrics()).toContain('app_emitter_events_sent_total 0');
    expect(() => registerEmitterMetrics(emitter!, { registry, prefix: 'app_' })).toThrow();
    binding.unregister();
    expect(await registry.metrics()).toBe('\n');
    registerEmitterMetrics(emitter, { registry, prefix: 'app_' });
    expect(await registry.metrics()).toContain('app_emitter_events_emitted_total 0');
  });
});

describe('bindCounters', () => {
  it('binds any counters function by a name map', async () => {
    const counters = { handled: 0, lag: 7 };
    const registry = new Registry();
    bindCounters(
      () => counters,
      [
        { key: 'handled', name: 'worker_events_total', help: 'handled', type: 'counter' },
        { key: 'lag', name: 'worker_lag', help: 'lag', type: 'gauge' },
      ],
      { registry },
    );
    counters.handled = 41;
    let text = await registry.metrics();
    expect(sample(text, 'linkpulse_worker_events_total')).toBe(41);
    expect(sample(text, 'linkpulse_worker_lag')).toBe(7);
    counters.handled = 42;
    counters.lag = 0;
    text = await registry.metrics();
    expect(sample(text, 'linkpulse_worker_events_total')).toBe(42);
    expect(sample(text, 'linkpulse_worker_lag')).toBe(0);
  });
});
