/** A node of a V8 CPU profile. */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A V8 CPU profile (`--cpu-prof`). */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function, largest first, as `[share, name]`. */
export function selfTimes(profile: CpuProfile): [number, string][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '');
    const name = `${frame.functionName || '(anonymous)'} ${file.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
    const delta = profile.timeDeltas[i] ?? 0;
    totals.set(name, (totals.get(name) ?? 0) + delta);
    all += delta;
  });
  return [...totals]
    .map(([name, time]): [number, string] => [time / all, name])
    .sort((a, b) => b[0] - a[0]);
}

/**
 * Share of the busy samples (not idle, not GC) whose stack holds a frame named like each
 * of `names` (the function name, e.g. `#pump`): the inclusive cost of those functions.
 */
export function inclusiveShares(
  profile: CpuProfile,
  names: readonly string[],
): Map<string, number> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map(names.map((name) => [name, 0]));
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)' || name === '(garbage collector)') return;
    const delta = profile.timeDeltas[i] ?? 0;
    busy += delta;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame.functionName;
      if (hits.has(frame) && !seen.has(frame)) {
        seen.add(frame);
        hits.set(frame, hits.get(frame)! + delta);
      }
    }
  });
  for (const [name, time] of hits) hits.set(name, time / busy);
  return hits;
}
