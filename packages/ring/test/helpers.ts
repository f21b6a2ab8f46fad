// Builders of the sdk-metrics data shapes (what readers collect and an OTLP
// receiver decodes to), a seeded random source, and a clock for the ring.
import type { Attributes } from '@opentelemetry/api';

export const T0 = 1_700_000_000_000;

export type Point = { t: number; value: unknown; attrs?: Attributes; start?: number };

export function hr(ms: number): [number, number] {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

const TYPE = { HISTOGRAM: 0, EXPONENTIAL_HISTOGRAM: 1, GAUGE: 2, SUM: 3 } as const;

export function metric(
  name: string,
  kind: 'counter' | 'updowncounter' | 'gauge' | 'histogram' | 'exponential_histogram',
  points: Point[],
  options: { temporality?: 'delta' | 'cumulative'; unit?: string; description?: string; valueType?: number } = {},
) {
  const dataPointType =
    kind === 'gauge' ? TYPE.GAUGE : kind === 'histogram' ? TYPE.HISTOGRAM : kind === 'exponential_histogram' ? TYPE.EXPONENTIAL_HISTOGRAM : TYPE.SUM;
  return {
    descriptor: { name, description: options.description ?? '', unit: options.unit ?? '', valueType: options.valueType ?? 1 },
    aggregationTemporality: options.temporality === 'delta' ? 0 : 1,
    dataPointType,
    ...(dataPointType === TYPE.SUM ? { isMonotonic: kind === 'counter' } : {}),
    dataPoints: points.map(p => ({ startTime: hr(p.start ?? T0 - 1000), endTime: hr(p.t), attributes: p.attrs ?? {}, value: p.value })),
  };
}

export function resourceMetrics(metrics: unknown[], resource: Attributes = { 'service.name': 'svc' }, scope = { name: 'test', version: '1' }) {
  return { resource: { attributes: resource, merge: () => null, getRawAttributes: () => [] }, scopeMetrics: [{ scope, metrics }] };
}

export function explicit(bounds: number[], counts: number[], sum = 0) {
  return { buckets: { boundaries: bounds, counts }, count: counts.reduce((a, b) => a + b, 0), sum };
}

/** A small, fast, seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
