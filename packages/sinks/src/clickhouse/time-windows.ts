/** A closed range of epoch milliseconds: `[from, to]`. */
export type TimeWindow = readonly [from: number, to: number];

/**
 * The fewest closed ranges, at most `maxWindows`, that cover every time in `times` and
 * leave out the gaps between them longer than `gapMs` (the longest such gaps first when
 * there are more of them than `maxWindows` allows). Ranges come in time order; none for
 * no times.
 *
 * A batch is mostly clicks of the last seconds, but a redelivered one can hold a few
 * clicks of days ago: one range from the oldest to the newest would make a lookup by
 * time read everything in between.
 */
export function timeWindows(
  times: ArrayLike<number>,
  gapMs: number,
  maxWindows: number,
): TimeWindow[] {
  if (times.length === 0) return [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < times.length; i++) {
    min = Math.min(min, times[i]!);
    max = Math.max(max, times[i]!);
  }
  if (max - min <= gapMs) return [[min, max]];
  const sorted = Float64Array.from(times).sort();
  // Indexes i where a window ends at sorted[i] and the next starts at sorted[i + 1].
  let splits: number[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    if (sorted[i + 1]! - sorted[i]! > gapMs) splits.push(i);
  }
  if (splits.length >= maxWindows) {
    const gap = (i: number) => sorted[i + 1]! - sorted[i]!;
    splits = splits
      .sort((a, b) => gap(b) - gap(a) || a - b)
      .slice(0, maxWindows - 1)
      .sort((a, b) => a - b);
  }
  const windows: TimeWindow[] = [];
  let start = 0;
  for (const end of splits) {
    windows.push([sorted[start]!, sorted[end]!]);
    start = end + 1;
  }
  windows.push([sorted[start]!, sorted[sorted.length - 1]!]);
  return windows;
}
