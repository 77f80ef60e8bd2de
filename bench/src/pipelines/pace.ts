import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { ClickEmitter } from '@linkpulse/core';
import { benchClick } from '../traffic/clicks.js';

/** Clicks the emitter holds at most before {@link emitPaced} waits: half its default capacity. */
const MAX_BUFFERED = 5_000;

/**
 * Emits `events` clicks as a busy server would, 1,000 per event-loop turn, holding back
 * while the emitter's buffer is half full or more than `maxBacklog` emitted clicks are not
 * yet delivered: the measure is the pipeline's rate, not how fast a buffer overflows.
 */
export async function emitPaced(
  emitter: ClickEmitter,
  events: number,
  delivered: () => number,
  maxBacklog = 20_000,
): Promise<void> {
  const busy = (i: number) => {
    const { queueDepth, inFlight } = emitter.counters();
    return queueDepth + inFlight > MAX_BUFFERED || i - delivered() > maxBacklog;
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
