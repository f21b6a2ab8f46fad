// A deterministic QuerySource for tests of the page and the stream, standing in
// for a ring: every query answers f(t) per series, so expected values can be
// computed independently.
import type { Labels, MetricInfo, QuerySource, RangeSeries, Sample } from '../src/query/source.js';

export const XSS = '<img src=x onerror=alert(1)>';

export const FAKE_METRICS: MetricInfo[] = [
  {
    name: 'http.server.requests',
    description: 'requests <b>served</b>',
    unit: '{request}',
    kind: 'counter',
    meter: 'app',
    series: [{ route: '/a' }, { route: XSS }],
  },
  { name: 'http.server.duration', description: 'latency', unit: 's', kind: 'histogram', meter: 'app', series: [{}] },
  { name: XSS, description: XSS, unit: XSS, kind: 'gauge', meter: 'app', series: [{ [XSS]: XSS }] },
  { name: 'fastmeter.breaker.state', description: 'breaker', unit: '', kind: 'gauge', meter: 'fastmeter', series: [{ exporter: 'otlp' }] },
  { name: 'fastmeter.sampler.probability', description: 'p', unit: '', kind: 'gauge', meter: 'fastmeter', series: [{ instrument: 'h' }] },
];

function seriesFor(expr: string): { labels: Labels; f: (t: number) => number }[] {
  if (expr.startsWith('rate(http.server.requests'))
    return [
      { labels: { route: '/a' }, f: t => 10 + ((t / 1000) % 7) },
      { labels: { route: XSS }, f: t => 2 + ((t / 1000) % 3) },
    ];
  const q = /^histogram_quantile\(([\d.]+), sum\(rate\(http\.server\.duration/.exec(expr);
  if (q) return [{ labels: {}, f: t => Number(q[1]) * (1 + ((t / 1000) % 5) / 10) }];
  if (expr === `{__name__=${JSON.stringify(XSS)}}`) return [{ labels: { [XSS]: XSS }, f: () => 42 }];
  if (expr === 'fastmeter.breaker.state') return [{ labels: { exporter: 'otlp' }, f: () => 2 }];
  if (expr === 'fastmeter.sampler.probability') return [{ labels: { instrument: 'h' }, f: () => 0.25 }];
  throw new Error(`fake source: unknown query ${expr}`);
}

export class FakeSource implements QuerySource {
  rangeCalls = 0;
  async instant(expr: string, time: number): Promise<Sample[]> {
    return seriesFor(expr).map(s => ({ labels: s.labels, value: s.f(time) }));
  }
  async range(expr: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
    this.rangeCalls++;
    return seriesFor(expr).map(s => {
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let t = start; t <= end; t += step) {
        timestamps.push(t);
        values.push(s.f(t));
      }
      return { labels: s.labels, timestamps, values };
    });
  }
  async buckets(metric: string, start: number, end: number, step: number) {
    if (metric !== 'http.server.duration') throw new Error(`fake source: no buckets for ${metric}`);
    return ['0.1', '0.5', '1', '+Inf'].map((le, i) => {
      const timestamps: number[] = [];
      for (let t = start; t <= end; t += step) timestamps.push(t);
      return { le, timestamps, values: timestamps.map(t => (i + 1) * (1 + ((t / 1000) % 4))) };
    });
  }
  async metrics(): Promise<MetricInfo[]> {
    return FAKE_METRICS;
  }
}
