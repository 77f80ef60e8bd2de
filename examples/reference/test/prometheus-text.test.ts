import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleNames, sampleValue } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  it('parses what prom-client serves: every type, labels with escapes, default metrics', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    new Counter({ name: 'c_total', help: 'c', labelNames: ['l'], registers: [registry] }).inc(
      { l: 'quote " backslash \\ newline \n end' },
      3,
    );
    new Gauge({ name: 'g', help: 'g', registers: [registry] }).set(-1.5);
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'h',
      labelNames: ['s'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    histogram.observe({ s: 'a' }, 0.05);
    histogram.observe({ s: 'a' }, 5);
    new Summary({ name: 's', help: 's', registers: [registry] }).observe(2);

    const families = parsePrometheusText(await registry.metrics());
    expect(families.get('h_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 'h_seconds_count', { s: 'a' })).toBe(2);
    expect(sampleValue(families, 'h_seconds_bucket', { s: 'a', le: '0.1' })).toBe(1);
    expect(sampleValue(families, 'c_total')).toBe(3);
    expect(families.get('c_total')?.samples[0]?.labels.l).toBe(
      'quote " backslash \\ newline \n end',
    );
    expect(sampleValue(families, 'g')).toBe(-1.5);
    expect(sampleNames(families)).toContain('process_cpu_seconds_total');
    expect(sampleNames(families)).toContain('s_count');
  });

  it.each([
    ['a bad metric name', '0abc 1'],
    ['a value that is no number', 'a 1x'],
    ['an unquoted label value', 'a{l=x} 1'],
    ['a bad escape', 'a{l="\\t"} 1'],
    ['an unterminated label set', 'a{l="x" 1'],
    ['a duplicate series', 'a{l="x"} 1\na{l="x"} 2'],
    ['an unknown type', '# TYPE a counters\na 1'],
    ['a TYPE after the samples', 'a 1\n# TYPE a gauge'],
    ['two TYPE lines', '# TYPE a gauge\n# TYPE a gauge\na 1'],
    ['interleaved families', 'a 1\nb 1\na{l="x"} 2'],
    ['a negative counter', '# TYPE a_total counter\na_total -1'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1'],
    [
      'a histogram whose buckets shrink',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1',
    ],
    [
      'a histogram whose +Inf bucket is not its count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3',
    ],
  ])('rejects %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
