import { describe, expect, it } from 'vitest';
import { timeWindows } from '../src/clickhouse/time-windows.js';

const MIN = 60_000;
const DAY = 86_400_000;

describe('timeWindows', () => {
  it('covers times without a long gap in one window, whatever their order', () => {
    expect(timeWindows([5, 1, 3 * MIN, 2], MIN * 3, 8)).toEqual([[1, 3 * MIN]]);
    expect(timeWindows([], MIN, 8)).toEqual([]);
    expect(timeWindows([7], MIN, 8)).toEqual([[7, 7]]);
  });

  it('leaves out gaps longer than the limit', () => {
    const now = 10 * DAY;
    expect(timeWindows([now, now - 3 * DAY, now + 5, now - 3 * DAY + 9], MIN, 8)).toEqual([
      [now - 3 * DAY, now - 3 * DAY + 9],
      [now, now + 5],
    ]);
  });

  it('keeps the longest gaps when there are more than the windows allow', () => {
    // Gaps of 2, 9, 3 and 7 minutes: three windows leave out the 9 and the 7.
    const times = [0, 2, 11, 14, 21].map((m) => m * MIN);
    expect(timeWindows(times, MIN, 3)).toEqual([
      [0, 2 * MIN],
      [11 * MIN, 14 * MIN],
      [21 * MIN, 21 * MIN],
    ]);
    expect(timeWindows(times, MIN, 1)).toEqual([[0, 21 * MIN]]);
  });
});
