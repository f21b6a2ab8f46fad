// A collection as the serialisers read it: per metric, columns of values
// (@fastmeter/sdk's StreamSnapshot) and one SeriesEntry per point.
//
// Fast path:  read seam ──► begin() (callbacks) ──► per stream: snapshot + entries (one
//             synchronous step each, a slice boundary between streams)
// Fallback:   any other MetricProducer (sdk-metrics' MeterProvider, metricProducers) ──►
//             ResourceMetrics objects converted to the same columns, so both go through the
//             same serialisers.
import type { Attributes, HrTime } from '@opentelemetry/api';
import {
  type AggregationTemporality,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type InstrumentationScope,
  type MetricData,
  type MetricDescriptor,
  type Resource,
  type ResourceMetrics,
} from '@fastmeter/sdk';
import type { ReadSeam, SeamStream, SnapshotValues, StreamSnapshot } from '@fastmeter/sdk/internal';
import { type SeriesEntry, SeriesEntry as Entry, type SeriesStore } from './series.js';
import type { Slicer } from './slicer.js';

/** Point times: ms columns (fastmeter) or the HrTime of each point (objects). */
export type PointTimes =
  | { readonly kind: 'ms'; readonly start: Float64Array; readonly end: number }
  | { readonly kind: 'hr'; readonly start: HrTime[]; readonly end: HrTime[] };

export interface ColumnMetric {
  readonly descriptor: MetricDescriptor;
  readonly dataPointType: DataPointType;
  readonly isMonotonic: boolean;
  readonly temporality: AggregationTemporality;
  readonly count: number;
  readonly entries: readonly SeriesEntry[];
  readonly times: PointTimes;
  readonly values: SnapshotValues;
  /** The stream and its snapshot (fast path only). */
  readonly stream: SeamStream | undefined;
  readonly snapshot: StreamSnapshot | undefined;
}

export interface ColumnScope {
  readonly scope: InstrumentationScope;
  readonly metrics: ColumnMetric[];
}

export interface ColumnCollection {
  readonly resource: Resource;
  readonly scopes: ColumnScope[];
  readonly errors: unknown[];
  readonly collectionMs: number;
}

const DATA_POINT_TYPE = {
  sum: DataPointType.SUM,
  lastValue: DataPointType.GAUGE,
  histogram: DataPointType.HISTOGRAM,
  exponential: DataPointType.EXPONENTIAL_HISTOGRAM,
} as const;

/**
 * One collection through the read seam. Each stream is snapshotted (values
 * copied, delta state consumed) and its series entries resolved in one
 * synchronous step; the slicer may give the event loop back between streams.
 */
export async function collectColumns(seam: ReadSeam, store: SeriesStore, slicer: Slicer, timeoutMillis?: number): Promise<ColumnCollection> {
  const collectionMs = Date.now();
  const { errors, scopes } = await seam.begin(collectionMs, timeoutMillis);
  const out: ColumnScope[] = [];
  for (const { scope, streams } of scopes) {
    const metrics: ColumnMetric[] = [];
    for (const stream of streams) {
      await slicer.check();
      const snapshot = seam.snapshot(stream, collectionMs);
      if (snapshot === undefined) continue;
      const spec = stream.spec;
      if (spec.kind === 'drop') continue;
      metrics.push({
        descriptor: stream.descriptor,
        dataPointType: DATA_POINT_TYPE[spec.kind],
        isMonotonic: spec.kind === 'sum' && spec.monotonic,
        temporality: snapshot.temporality,
        count: snapshot.count,
        entries: store.resolve(stream, snapshot),
        times: { kind: 'ms', start: snapshot.startMs, end: collectionMs },
        values: snapshot.values,
        stream,
        snapshot,
      });
    }
    if (metrics.length > 0) out.push({ scope, metrics });
  }
  return { resource: seam.resource, scopes: out, errors, collectionMs };
}

/** The columns of ResourceMetrics objects (any producer): the fallback path, same serialisers. */
export function columnsOf(resourceMetrics: ResourceMetrics, errors: unknown[] = []): ColumnCollection {
  return {
    resource: resourceMetrics.resource,
    scopes: resourceMetrics.scopeMetrics.map(sm => ({ scope: sm.scope, metrics: sm.metrics.map(metricColumns) })),
    errors,
    collectionMs: Date.now(),
  };
}

function metricColumns(metric: MetricData): ColumnMetric {
  const points = metric.dataPoints as { attributes: Attributes; startTime: HrTime; endTime: HrTime; value: unknown }[];
  const count = points.length;
  return {
    descriptor: metric.descriptor,
    dataPointType: metric.dataPointType,
    isMonotonic: metric.dataPointType === DataPointType.SUM && (metric as { isMonotonic: boolean }).isMonotonic,
    temporality: metric.aggregationTemporality,
    count,
    entries: points.map(p => Entry.of(p.attributes)),
    times: { kind: 'hr', start: points.map(p => p.startTime), end: points.map(p => p.endTime) },
    values: valueColumns(metric.dataPointType, points),
    stream: undefined,
    snapshot: undefined,
  };
}

function valueColumns(type: DataPointType, points: readonly { value: unknown }[]): SnapshotValues {
  const count = points.length;
  if (type === DataPointType.EXPONENTIAL_HISTOGRAM) return { kind: 'exponential', values: points.map(p => p.value as ExponentialHistogram) };
  if (type !== DataPointType.HISTOGRAM) return { kind: 'number', values: Float64Array.from(points, p => p.value as number) };
  // sdk-metrics' points of one metric share their boundaries; a point with more counts than
  // boundaries + 1 is cut, one with fewer padded with zeros.
  const first = points[0]?.value as Histogram | undefined;
  const boundaries = first?.buckets.boundaries ?? [];
  const stride = boundaries.length + 1;
  const counts = new Float64Array(count * stride);
  const total = new Float64Array(count);
  const hasSum = points.some(p => (p.value as Histogram).sum !== undefined);
  const hasMinMax = points.some(p => (p.value as Histogram).min !== undefined);
  const sum = hasSum ? new Float64Array(count) : null;
  const min = hasMinMax ? new Float64Array(count) : null;
  const max = hasMinMax ? new Float64Array(count) : null;
  for (let i = 0; i < count; i++) {
    const h = points[i].value as Histogram;
    for (let b = 0; b < stride && b < h.buckets.counts.length; b++) counts[i * stride + b] = h.buckets.counts[b];
    total[i] = h.count;
    if (sum !== null) sum[i] = h.sum ?? Number.NaN;
    if (min !== null) min[i] = h.min ?? Number.NaN;
    if (max !== null) (max as Float64Array)[i] = h.max ?? Number.NaN;
  }
  return { kind: 'histogram', boundaries, stride, counts, count: total, sum, min, max };
}

// ---- times ------------------------------------------------------------------------

/** @opentelemetry/core's millisToHrTime, so timestamps match the standard path exactly. */
export function millisToHrTime(ms: number): HrTime {
  const seconds = Math.trunc(ms / 1000);
  return [seconds, Math.round((ms % 1000) * 1e6)];
}

export function startHr(m: ColumnMetric, i: number): HrTime {
  return m.times.kind === 'ms' ? millisToHrTime(m.times.start[i]) : m.times.start[i];
}

export function endHr(m: ColumnMetric, i: number): HrTime {
  return m.times.kind === 'ms' ? millisToHrTime(m.times.end) : m.times.end[i];
}
