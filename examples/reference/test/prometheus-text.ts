/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for checking what
 * the processes serve at `/metrics`: syntax of every line, one TYPE/HELP per family
 * before its samples, families not interleaved, no duplicate series, counters not
 * negative, and histograms whole (cumulative buckets ending in `+Inf` equal to `_count`,
 * a `_sum` for every label set).
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE, HELP and samples. */
export interface Family {
  name: string;
  type: string;
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

function parseValue(text: string, line: number): number {
  // As Prometheus reads them (Go's strconv.ParseFloat): NaN and Inf in any case.
  if (/^nan$/i.test(text)) return Number.NaN;
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    throw new Error(`line ${line}: "${text}" is not a sample value`);
  }
  return Number(text);
}

/** Parses `{a="1",b="x\"y"}` starting at `text[start] === '{'`; returns labels and the end. */
function parseLabels(text: string, start: number, line: number) {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const fail = (why: string): never => {
    throw new Error(`line ${line}: ${why} in labels of "${text}"`);
  };
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    if (eq === -1) fail('missing =');
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) fail(`bad label name "${name}"`);
    if (name in labels) fail(`label "${name}" twice`);
    if (text[eq + 1] !== '"') fail('label value not quoted');
    let value = '';
    let j = eq + 2;
    for (;;) {
      const char = text[j];
      if (char === undefined) fail('unterminated label value');
      if (char === '"') break;
      if (char === '\\') {
        const escaped = text[j + 1];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else fail(`bad escape \\${escaped}`);
        j += 2;
      } else {
        value += char;
        j += 1;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i += 1;
    else if (text[i] !== '}') fail('expected , or }');
  }
  return { labels, end: i + 1 };
}

function parseSample(text: string, line: number): Sample {
  const nameEnd = text.search(/[{ ]/);
  if (nameEnd <= 0) throw new Error(`line ${line}: no sample in "${text}"`);
  const name = text.slice(0, nameEnd);
  if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
  let rest = text.slice(nameEnd);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(text, nameEnd, line);
    labels = parsed.labels;
    rest = text.slice(parsed.end);
  }
  const parts = rest.trim().split(/ +/);
  if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) {
    throw new Error(`line ${line}: expected "value [timestamp]" in "${text}"`);
  }
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) {
    throw new Error(`line ${line}: bad timestamp "${parts[1]}"`);
  }
  return { name, labels, value: parseValue(parts[0]!, line) };
}

/** The family a sample belongs to, given the families declared so far. */
function familyOf(name: string, declared: ReadonlyMap<string, Family>): string {
  for (const [family, { type }] of declared) {
    for (const suffix of SUFFIXES[type] ?? []) if (name === family + suffix) return family;
  }
  return name;
}

const seriesKey = (sample: Sample) =>
  `${sample.name}{${Object.entries(sample.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;

function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = seriesKey({ ...sample, name: '', labels: rest });
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      group.buckets.push([parseValue(le, 0), sample.value]);
    } else if (sample.name.endsWith('_count')) group.count = sample.value;
    else if (sample.name.endsWith('_sum')) group.sum = sample.value;
    else throw new Error(`${family.name}: unexpected sample ${sample.name}`);
  }
  for (const [key, { buckets, count, sum }] of groups) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    const last = sorted[sorted.length - 1];
    if (last?.[0] !== Number.POSITIVE_INFINITY) {
      throw new Error(`${family.name}${key}: no +Inf bucket`);
    }
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]![1] < sorted[i - 1]![1]) {
        throw new Error(`${family.name}${key}: buckets are not cumulative`);
      }
    }
    if (count !== last[1]) throw new Error(`${family.name}${key}: +Inf bucket ≠ _count`);
    if (sum === undefined) throw new Error(`${family.name}${key}: no _sum`);
  }
}

/** Parses exposition text; throws an `Error` naming the first problem. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: string | undefined;
  const declare = (name: string, line: number): Family => {
    if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
    let family = families.get(name);
    if (family && family.samples.length > 0) {
      throw new Error(`line ${line}: metadata of ${name} after its samples`);
    }
    if (!family) {
      family = { name, type: 'untyped', help: undefined, samples: [] };
      families.set(name, family);
    }
    return family;
  };
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      const family = declare(name, line);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type "${rest}"`);
        if (family.type !== 'untyped') throw new Error(`line ${line}: second TYPE for ${name}`);
        family.type = rest;
      } else {
        if (family.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        family.help = rest;
      }
      return;
    }
    if (raw.startsWith('#')) return;
    const sample = parseSample(raw, line);
    const name = familyOf(sample.name, families);
    const family = families.get(name) ?? declare(name, line);
    if (current !== name && family.samples.length > 0) {
      throw new Error(`line ${line}: samples of ${name} are not together`);
    }
    current = name;
    const key = seriesKey(sample);
    if (series.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    series.add(key);
    if (family.type === 'counter' && !(sample.value >= 0)) {
      throw new Error(`line ${line}: counter ${sample.name} is ${sample.value}`);
    }
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** Every sample name in the text (`x_bucket`, `x_count`, … for histograms). */
export function sampleNames(families: ReadonlyMap<string, Family>): Set<string> {
  const names = new Set<string>();
  for (const family of families.values()) for (const { name } of family.samples) names.add(name);
  return names;
}

/** The value of the series `name` whose labels include `labels`, summed over the matches. */
export function sampleValue(
  families: ReadonlyMap<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) total += sample.value;
    }
  }
  return total;
}
