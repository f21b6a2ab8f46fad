// A RingBufferReader (@fastmeter/ring) as the dashboard's QuerySource: instant
// and range queries through `ring.query`, the picker's listing from
// `ring.metrics()` and `ring.series()`. Typed by shape, so that the dashboard
// works with the ring that the application installed.
import { type RawHistogramSeries, bucketRates } from './heatmap.js';
import { selector } from './presets.js';
import type { Labels, MetricInfo, QuerySource, RangeSeries, Sample } from './source.js';

/** What ringSource needs of a ring (RingBufferReader has it). */
export interface QueryableRing {
  query(expr: string, options: { time?: number; range?: number; step?: number }): any;
  metrics(): { name: string; description: string; unit: string; kind: string; scope: { name: string } }[];
  series(selector?: string): { labels: Labels }[];
  read(selector: string, options?: { start?: number; end?: number }): RawHistogramSeries[];
}

/** Series listed per metric for the picker's search (the ring holds them all). */
const LISTED_SERIES = 50;

function withName(labels: Labels, name: string | undefined): Labels {
  return name === undefined ? labels : { __name__: name, ...labels };
}

export function ringSource(ring: QueryableRing): QuerySource {
  if (ring === null || typeof ring !== 'object' || typeof ring.query !== 'function' || typeof ring.metrics !== 'function') {
    throw new TypeError('ringSource: expected a RingBufferReader from @fastmeter/ring (query, metrics and series methods)');
  }
  return {
    async instant(expr: string, timeMs: number): Promise<Sample[]> {
      const r = ring.query(expr, { time: timeMs });
      return r.samples.map((s: { labels: Labels; name?: string; value: number }) => ({ labels: withName(s.labels, s.name), value: s.value }));
    },
    async range(expr: string, startMs: number, endMs: number, stepMs: number): Promise<RangeSeries[]> {
      // The ring evaluates end, end - step, ... back to end - range: exactly the grid start..end.
      const r = ring.query(expr, { time: endMs, range: Math.max(0, endMs - startMs), step: stepMs });
      return r.series.map((s: { labels: Labels; name?: string; times: number[]; values: number[] }) => ({
        labels: withName(s.labels, s.name),
        timestamps: s.times,
        values: s.values,
      }));
    },
    async buckets(metric: string, startMs: number, endMs: number, stepMs: number) {
      // One step more, for the first step's increase.
      return bucketRates(ring.read(selector(metric), { start: startMs - 2 * stepMs, end: endMs }), startMs, endMs, stepMs);
    },
    async metrics(): Promise<MetricInfo[]> {
      return ring.metrics().map(m => ({
        name: m.name,
        description: m.description,
        unit: m.unit,
        kind: m.kind,
        meter: m.scope?.name ?? '',
        series: ring
          .series(selector(m.name))
          .slice(0, LISTED_SERIES)
          .map(s => s.labels),
      }));
    },
  };
}
