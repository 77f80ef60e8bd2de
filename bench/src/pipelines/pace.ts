import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { ClickEmitter } from '@linkpulse/core';
import { benchClick } from '../traffic/clicks.js';

/** The emitter's default capacity. */
const DEFAULT_CAPACITY = 10_000;

/**
 * Emits `events` clicks as a busy server would, 1,000 per event-loop turn, holding back
 * while the emitter's buffer (of `capacity` clicks) is half full or more than `maxBacklog`
 * emitted clicks are not yet delivered: the measure is the pipeline's rate, not how fast a
 * buffer overflows.
 */
export async function emitPaced(
  emitter: ClickEmitter,
  events: number,
  delivered: () => number,
  maxBacklog = 20_000,
  capacity = DEFAULT_CAPACITY,
): Promise<void> {
  const busy = (i: number) => {
    const { queueDepth, inFlight } = emitter.counters();
    return queueDepth + inFlight > capacity / 2 || i - delivered() > maxBacklog;
  };
  for (let i = 0; i < events; ) {
    const end = Math.min(events, i + 1_000);
    for (; i < end; i++) emitter.emit(benchClick(i));
    await nextTurn();
    while (busy(i)) await sleep(1);
  }
}

/** Polls until `done()` holds; throws after `timeoutMs`. */
export async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
