import {
  ClickEmitter,
  type ClickEmitterOptions,
  type ClickEvent,
  type ClickInput,
  type ClickInputProducer,
  type ClickProducer,
  type EmittedClicks,
  type EmitterCounters,
} from '@linkpulse/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

type Send = (batch: readonly ClickEvent[], attempt: number) => Promise<void>;

/** A producer that records every `send` call and answers with `behaviour`. */
class FakeTransport implements ClickProducer {
  readonly calls: (readonly ClickEvent[])[] = [];
  /** Batches whose `send` resolved. */
  readonly delivered: (readonly ClickEvent[])[] = [];
  closed = false;

  constructor(private readonly behaviour: Send = async () => {}) {}

  send(batch: readonly ClickEvent[]): Promise<void> {
    this.calls.push(batch);
    return this.behaviour(batch, this.calls.length).then(() => {
      this.delivered.push(batch);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  deliveredEvents(): ClickEvent[] {
    return this.delivered.flat();
  }
}

const never = () => new Promise<void>(() => {});
const input = (i: number, overrides: Partial<ClickInput> = {}): ClickInput => ({
  code: `c${i}`,
  ip: `198.51.${(i >> 8) & 255}.${i & 255}`,
  userAgent: 'Mozilla/5.0 (test)',
  ...overrides,
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

function balanced(counters: EmitterCounters): boolean {
  const { emitted, sent, dropped, queueDepth, inFlight } = counters;
  return emitted === sent + dropped + queueDepth + inFlight;
}

const emitters: ClickEmitter[] = [];
function emitter(options: Omit<ClickEmitterOptions, 'secret'>): ClickEmitter {
  const created = new ClickEmitter({ secret: 'test secret', ...options });
  emitters.push(created);
  return created;
}

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await Promise.all(emitters.splice(0).map((created) => created.close({ timeoutMs: 10 })));
});

describe('ClickEmitter with a stalled transport', () => {
  it('keeps accepting: a million emits return at once, memory stays bounded, drops are exact', async () => {
    const transport = new FakeTransport(never);
    const clicks = emitter({ transport });
    const click = input(1);

    let returnedSomething = 0;
    for (let i = 0; i < 1_000_000; i++) {
      if ((clicks.emit(click) as unknown) !== undefined) returnedSomething++;
    }
    expect(returnedSomething).toBe(0);
    expect(transport.calls).toHaveLength(0); // emit never flushes synchronously
    let counters = clicks.counters();
    expect(counters).toMatchObject({ emitted: 1_000_000, queueDepth: 10_000, inFlight: 0 });
    expect(counters.dropped).toBe(1_000_000 - 10_000);

    await tick(); // the size-triggered flush takes one batch, whose send never settles
    for (let i = 0; i < 1_000_000; i++) clicks.emit(click);
    counters = clicks.counters();
    expect(counters).toMatchObject({ emitted: 2_000_000, queueDepth: 10_000, inFlight: 500 });
    expect(counters.dropped).toBe(2_000_000 - 10_000 - 500);
    expect(counters.sent).toBe(0);
    expect(balanced(counters)).toBe(true);
    expect(transport.calls).toHaveLength(1);
  });

  it('times a stalled send out and retries the same batch, one attempt at a time', async () => {
    let pending = 0;
    let maxPending = 0;
    const transport = new FakeTransport(() => {
      pending++;
      maxPending = Math.max(maxPending, pending);
      return never();
    });
    const errors: unknown[] = [];
    const clicks = emitter({
      transport,
      sendTimeoutMs: 5,
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      onError: (error) => errors.push(error),
    });
    for (let i = 0; i < 10; i++) clicks.emit(input(i));
    void clicks.flush();
    await vi.waitFor(() => expect(transport.calls.length).toBeGreaterThanOrEqual(3));
    expect(new Set(transport.calls).size).toBe(1); // the very same batch each time
    expect(clicks.counters()).toMatchObject({ inFlight: 10, queueDepth: 0, sent: 0 });
    expect(clicks.counters().failedSends).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatchObject({ code: 'unavailable' });
  });

  it('gives up at the close timeout and counts what was left as dropped', async () => {
    const transport = new FakeTransport(never);
    const clicks = emitter({ transport, maxBatchSize: 100 });
    for (let i = 0; i < 250; i++) clicks.emit(input(i));
    const flushed = clicks.flush();
    await clicks.close({ timeoutMs: 30 });
    await flushed; // resolves once close gave up
    expect(clicks.counters()).toMatchObject({
      emitted: 250,
      dropped: 250,
      sent: 0,
      queueDepth: 0,
      inFlight: 0,
    });
    clicks.emit(input(1));
    expect(clicks.counters()).toMatchObject({ emitted: 251, dropped: 251 });
    expect(transport.closed).toBe(false);
  });
});

describe('ClickEmitter with a healthy transport', () => {
  it('delivers everything on close: nothing lost, ids unique', async () => {
    const transport = new FakeTransport();
    const clicks = emitter({ transport });
    for (let i = 0; i < 10_050; i++) {
      clicks.emit(input(i));
      if (i % 1_000 === 999) await tick();
    }
    await clicks.close();
    const events = transport.deliveredEvents();
    expect(events).toHaveLength(10_050);
    expect(new Set(events.map((event) => event.id)).size).toBe(10_050);
    expect(new Set(events.map((event) => event.code)).size).toBe(10_050);
    expect(Math.max(...transport.calls.map((batch) => batch.length))).toBeLessThanOrEqual(500);
    expect(clicks.counters()).toEqual({
      emitted: 10_050,
      dropped: 0,
      sent: 10_050,
      failedSends: 0,
      queueDepth: 0,
      inFlight: 0,
    });
    expect(transport.closed).toBe(false);
  });

  it('never lets a raw IP leave: events carry a visitor id and a prefix', async () => {
    const transport = new FakeTransport();
    const clicks = emitter({ transport });
    const ips = ['203.0.113.77', '2001:db8:85a3:8d3:1319:8a2e:370:7348', '::ffff:192.0.2.55'];
    for (const ip of ips) clicks.emit({ code: 'abc', ip, userAgent: 'UA' });
    await clicks.flush();
    const wire = JSON.stringify(transport.deliveredEvents());
    for (const needle of ['203.0.113.77', '1319:8a2e:370:7348', '192.0.2.55', '8d3:1319']) {
      expect(wire).not.toContain(needle);
    }
    expect(transport.deliveredEvents().map((event) => event.ipPrefix)).toEqual([
      '203.0.113.0',
      '2001:db8:85a3::',
      '192.0.2.0',
    ]);
    for (const event of transport.deliveredEvents()) {
      expect(event.visitorId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    }
  });

  it('builds v1 events: HEAD marked, times kept or stamped, UTM parsed', async () => {
    const transport = new FakeTransport();
    const clicks = emitter({ transport, now: () => 1_700_000_000_000 });
    clicks.emit({ code: 'a', ip: '192.0.2.1', method: 'HEAD', ts: 1_600_000_000_000 });
    clicks.emit({ code: 'b', ip: '192.0.2.1', query: 'utm_source=mail&utm_campaign=x' });
    await clicks.flush();
    const [head, get] = transport.deliveredEvents();
    expect(head).toMatchObject({
      v: 1,
      code: 'a',
      method: 'HEAD',
      ts: 1_600_000_000_000,
      utm: null,
    });
    expect(get).toMatchObject({
      v: 1,
      code: 'b',
      method: 'GET',
      ts: 1_700_000_000_000,
      ua: '',
      referer: null,
      utm: { source: 'mail', campaign: 'x' },
    });
    expect(get!.id > head!.id).toBe(true);
  });

  it('flush resolves once the clicks emitted before it are delivered', async () => {
    const transport = new FakeTransport();
    const clicks = emitter({ transport, maxBatchSize: 7 });
    await clicks.flush(); // nothing buffered
    for (let i = 0; i < 20; i++) clicks.emit(input(i));
    await clicks.flush();
    expect(transport.deliveredEvents()).toHaveLength(20);
    expect(transport.calls.map((batch) => batch.length)).toEqual([7, 7, 6]);
    expect(clicks.counters()).toMatchObject({ sent: 20, queueDepth: 0, inFlight: 0 });
  });

  it('drops and reports malformed inputs, sends the rest, never throws from emit', async () => {
    const transport = new FakeTransport();
    const errors: unknown[] = [];
    const clicks = emitter({ transport, onError: (error) => errors.push(error) });
    expect(() => clicks.emit(null as unknown as ClickInput)).not.toThrow();
    clicks.emit({ ip: '192.0.2.1' } as ClickInput);
    clicks.emit(input(1));
    clicks.emit({ code: 'x', ip: '192.0.2.1', ts: Number.NaN });
    await clicks.flush();
    expect(transport.deliveredEvents().map((event) => event.code)).toEqual(['c1']);
    expect(clicks.counters()).toMatchObject({ emitted: 4, dropped: 3, sent: 1 });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'invalid_body' });
  });

  it('survives a transport that throws synchronously and an onError that throws', async () => {
    let attempts = 0;
    const transport: ClickProducer = {
      send: (batch) => {
        attempts++;
        if (attempts === 1) throw new Error('sync failure');
        return Promise.resolve(void batch);
      },
      close: async () => {},
    };
    const clicks = emitter({
      transport,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      onError: () => {
        throw new Error('handler failure');
      },
    });
    clicks.emit(input(1));
    await clicks.flush();
    expect(clicks.counters()).toMatchObject({ sent: 1, failedSends: 1 });
  });

  it('validates its options', () => {
    const transport = new FakeTransport();
    expect(() => new ClickEmitter({ transport, secret: 's', capacity: 0 })).toThrow(RangeError);
    expect(() => new ClickEmitter({ transport, secret: 's', flushIntervalMs: -1 })).toThrow(
      RangeError,
    );
    expect(() => new ClickEmitter({ transport, secret: '' })).toThrow(TypeError);
  });
});

describe('ClickEmitter retries', () => {
  it('retries a failing transport with exponential, jittered backoff while accepting clicks', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1); // jitter at its cap: delays 10, 20, 40
    const failures = 3;
    const transport = new FakeTransport(async (_batch, attempt) => {
      if (attempt <= failures) throw new Error(`failure ${attempt}`);
    });
    const errors: unknown[] = [];
    const clicks = emitter({
      transport,
      maxBatchSize: 5,
      retry: { initialDelayMs: 10, maxDelayMs: 1_000 },
      onError: (error) => errors.push(error),
    });
    for (let i = 0; i < 5; i++) clicks.emit(input(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.calls).toHaveLength(1);

    for (const delay of [10, 20, 40]) {
      const before = transport.calls.length;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(transport.calls).toHaveLength(before);
      clicks.emit(input(100 + before)); // accepted during the backoff
      await vi.advanceTimersByTimeAsync(1);
      expect(transport.calls).toHaveLength(before + 1);
    }
    expect(new Set(transport.calls.slice(0, 4)).size).toBe(1); // the same batch, same ids
    expect(errors).toHaveLength(failures);
    await vi.advanceTimersByTimeAsync(250); // the interval flushes what came meanwhile
    expect(clicks.counters()).toEqual({
      emitted: 8,
      dropped: 0,
      sent: 8,
      failedSends: 3,
      queueDepth: 0,
      inFlight: 0,
    });
    expect(new Set(transport.deliveredEvents().map((event) => event.id)).size).toBe(8);
  });

  it('caps the backoff at maxDelayMs', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1);
    const transport = new FakeTransport(async () => {
      throw new Error('down');
    });
    const clicks = emitter({ transport, retry: { initialDelayMs: 100, maxDelayMs: 300 } });
    clicks.emit(input(1));
    void clicks.flush();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(100 + 200 + 300); // 100, 200, then capped at 300
    expect(transport.calls).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(299);
    expect(transport.calls).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.calls).toHaveLength(5);
  });

  it('delivers after a failing spell, and a late success of a timed-out send is not double-counted', async () => {
    let release: () => void = () => {};
    const transport = new FakeTransport((_batch, attempt) =>
      attempt === 1
        ? new Promise<void>((resolve) => {
            release = resolve;
          })
        : Promise.resolve(),
    );
    const clicks = emitter({ transport, sendTimeoutMs: 10, retry: { initialDelayMs: 1 } });
    for (let i = 0; i < 3; i++) clicks.emit(input(i));
    await clicks.flush();
    release(); // the first, timed-out attempt lands late
    await tick();
    expect(transport.calls).toHaveLength(2);
    expect(transport.calls[0]).toBe(transport.calls[1]);
    expect(clicks.counters()).toMatchObject({ sent: 3, failedSends: 1, dropped: 0 });
  });
});

describe('ClickEmitter timers', () => {
  it('flushes what is buffered every flushIntervalMs, and a full batch at once', async () => {
    vi.useFakeTimers();
    const transport = new FakeTransport();
    const clicks = emitter({ transport, flushIntervalMs: 250, maxBatchSize: 10 });
    for (let i = 0; i < 3; i++) clicks.emit(input(i));
    await vi.advanceTimersByTimeAsync(249);
    expect(transport.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.calls.map((batch) => batch.length)).toEqual([3]);

    for (let i = 0; i < 10; i++) clicks.emit(input(i));
    await vi.advanceTimersByTimeAsync(0); // no interval needed for a full batch
    expect(transport.calls.map((batch) => batch.length)).toEqual([3, 10]);
    expect(clicks.counters()).toMatchObject({ sent: 13, queueDepth: 0 });
  });

  it('does not keep the process alive', () => {
    const active = () =>
      (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo();
    const before = active().filter((kind) => kind === 'Timeout').length;
    emitter({ transport: new FakeTransport() });
    // unref'd timers are not reported as active resources
    expect(active().filter((kind) => kind === 'Timeout').length).toBe(before);
  });
});

describe('ClickEmitter with a producer that builds the events itself', () => {
  /** Records every `sendClicks` (and any `send`); the first `failures` attempts reject. */
  function clickTaker(failures = 0) {
    const calls: { batch: EmittedClicks; secret: string | Uint8Array }[] = [];
    const producer: ClickInputProducer = {
      send: vi.fn(async () => {}),
      sendClicks: async (batch, secret) => {
        calls.push({ batch, secret });
        if (calls.length <= failures) throw new Error('not now');
      },
      close: async () => {},
    };
    return { producer, calls };
  }

  it('sends the clicks as emitted with their times and its secret, never events', async () => {
    const { producer, calls } = clickTaker();
    const clicks = emitter({ transport: producer, now: () => 1_700_000_000_000 });
    const first = input(1, { method: 'HEAD', ts: 1_600_000_000_000 });
    const second = input(2);
    clicks.emit(first);
    clicks.emit(second);
    await clicks.flush();
    expect(producer.send).not.toHaveBeenCalled();
    expect(calls).toHaveLength(1);
    const [{ batch, secret }] = calls as [(typeof calls)[0]];
    expect(secret).toBe('test secret');
    const { ts: _stamped, ...firstFields } = first;
    expect(batch.clicks).toEqual([firstFields, second]);
    expect([...batch.times]).toEqual([1_600_000_000_000, 1_700_000_000_000]);
    expect(batch.length).toBe(2);
    expect(clicks.counters()).toMatchObject({ emitted: 2, sent: 2, dropped: 0 });
  });

  it('copies a click at emit: an input changed or reused afterwards is sent as it was', async () => {
    const { producer, calls } = clickTaker();
    const clicks = emitter({ transport: producer });
    const reused = input(1, { referer: 'https://a.example/' });
    clicks.emit(reused);
    reused.code = 'c2';
    reused.referer = 'https://b.example/';
    clicks.emit(reused);
    await clicks.flush();
    const [{ batch }] = calls as [(typeof calls)[0]];
    expect(batch.clicks.map(({ code, referer }) => [code, referer])).toEqual([
      ['c1', 'https://a.example/'],
      ['c2', 'https://b.example/'],
    ]);
  });

  it('drops a click whose fields cannot be read, leaving the buffered clicks intact', async () => {
    const { producer, calls } = clickTaker();
    const errors: unknown[] = [];
    const clicks = emitter({ transport: producer, capacity: 2, onError: (e) => errors.push(e) });
    clicks.emit(input(1));
    clicks.emit(input(2));
    const unreadable = {
      ...input(3),
      get userAgent(): string {
        throw new Error('no user agent');
      },
    };
    expect(() => clicks.emit(unreadable)).not.toThrow();
    expect(errors).toEqual([new Error('no user agent')]);
    expect(clicks.counters()).toMatchObject({ emitted: 3, dropped: 1, queueDepth: 2 });
    await clicks.flush();
    const [{ batch }] = calls as [(typeof calls)[0]];
    expect(batch.clicks.map((click) => click.code)).toEqual(['c1', 'c2']);
    expect(balanced(clicks.counters())).toBe(true);
  });

  it('drops malformed clicks itself and retries the same batch object after a failure', async () => {
    const { producer, calls } = clickTaker(1);
    const errors: unknown[] = [];
    const clicks = emitter({
      transport: producer,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      onError: (error) => errors.push(error),
    });
    clicks.emit({ ip: '192.0.2.1' } as ClickInput);
    clicks.emit(input(1));
    clicks.emit({ code: 'x', ip: '192.0.2.1', ts: Number.POSITIVE_INFINITY });
    await clicks.flush();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.batch).toBe(calls[0]!.batch);
    expect(calls[0]!.batch.clicks.map((click) => click.code)).toEqual(['c1']);
    expect(calls[0]!.batch.times).toHaveLength(1);
    expect(clicks.counters()).toMatchObject({ emitted: 3, dropped: 2, sent: 1, failedSends: 1 });
    expect(
      errors.filter((error) => (error as { code?: string }).code === 'invalid_body'),
    ).toHaveLength(2);
  });
});
