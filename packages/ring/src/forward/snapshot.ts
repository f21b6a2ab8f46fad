// Builds the ResourceMetrics of one forwarding interval from the ring: per
// resource, the sdk-metrics data shapes any standard exporter takes.
import { AggregationTemporality, DataPointType } from '@fastmeter/sdk';
import type { Attributes } from '@opentelemetry/api';
import { Counts } from '../store/counts.js';
import { HistInput, type HistogramRing } from '../store/histogram-ring.js';
import type { Family, ResourceEntry, ScopeInfo, Series } from '../store/model.js';
import type { RingStore } from '../store/ring-store.js';
import { PointBuffer } from '../store/scalar-store.js';
import type { Forwarder } from './forwarder.js';

const { DELTA, CUMULATIVE } = AggregationTemporality;

export interface ExportBatch {
  readonly resourceId: number;
  readonly resourceMetrics: { resource: unknown; scopeMetrics: { scope: ScopeInfo; metrics: unknown[] }[] };
  /** Records what this batch sent (delta bookkeeping); called once the export succeeded. */
  commit(): void;
}

/** What a delta forwarder last sent for a histogram series: its cumulative state then. */
interface SentHistogram {
  t: number;
  v: number;
  hist: HistInput;
}

const buf = new PointBuffer(64);
const point = { t: 0, v: 0 };
const cum = new HistInput();

function hr(ms: number): [number, number] {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

export function buildExport(
  store: RingStore,
  boundary: number,
  forwarder: Forwarder,
  temporalityOf: (f: Family) => number,
  filter: ((m: { name: string; scope: ScopeInfo }) => boolean) | undefined,
): ExportBatch[] {
  const b = boundary - store.epoch;
  if (b !== b || b < 0) return [];
  // A series whose newest point is older than this is no longer reported.
  const stale = 2 * Math.max(forwarder.intervalMillis, store.options.intervalMillis);
  const byResource = new Map<ResourceEntry, Map<string, { scope: ScopeInfo; metrics: unknown[] }>>();
  const commits: Map<ResourceEntry, (() => void)[]> = new Map();
  for (const family of store.families.values()) {
    if (filter !== undefined && !filter({ name: family.name, scope: family.scope })) continue;
    const temporality = family.kind === 'gauge' ? CUMULATIVE : temporalityOf(family);
    const perResource = new Map<ResourceEntry, unknown[]>();
    for (const series of family.series) {
      const dp =
        series.lane >= 0
          ? scalarPoint(store, series, b, stale, temporality, forwarder, commits)
          : series.hist !== null
            ? histogramPoint(store, series, b, stale, temporality, forwarder, commits)
            : undefined;
      if (dp === undefined) continue;
      let list = perResource.get(series.resource);
      if (list === undefined) perResource.set(series.resource, (list = []));
      list.push(dp);
    }
    for (const [resource, dataPoints] of perResource) {
      let scopes = byResource.get(resource);
      if (scopes === undefined) byResource.set(resource, (scopes = new Map()));
      const scopeKey = `${family.scope.name}\u0000${family.scope.version ?? ''}\u0000${family.scope.schemaUrl ?? ''}`;
      let scope = scopes.get(scopeKey);
      if (scope === undefined) scopes.set(scopeKey, (scope = { scope: family.scope, metrics: [] }));
      scope.metrics.push(metricData(family, temporality, dataPoints));
    }
  }
  const out: ExportBatch[] = [];
  for (const [resource, scopes] of [...byResource].sort((x, y) => x[0].id - y[0].id)) {
    const pending = commits.get(resource) ?? [];
    out.push({
      resourceId: resource.id,
      resourceMetrics: { resource: resource.resource ?? emptyResource(), scopeMetrics: [...scopes.values()] },
      commit: () => {
        for (const c of pending) c();
      },
    });
  }
  return out;
}

function metricData(family: Family, temporality: number, dataPoints: unknown[]): unknown {
  const descriptor = { name: family.name, description: family.description, unit: family.unit, valueType: family.valueType, advice: {} };
  switch (family.kind) {
    case 'counter':
    case 'updowncounter':
      return { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.SUM, isMonotonic: family.kind === 'counter', dataPoints };
    case 'gauge':
      return { descriptor, aggregationTemporality: CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints };
    case 'histogram':
      return { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.HISTOGRAM, dataPoints };
    default:
      return { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM, dataPoints };
  }
}

function later(commits: Map<ResourceEntry, (() => void)[]>, series: Series, f: () => void): void {
  let list = commits.get(series.resource);
  if (list === undefined) commits.set(series.resource, (list = []));
  list.push(f);
}

function scalarPoint(
  store: RingStore,
  series: Series,
  b: number,
  stale: number,
  temporality: number,
  forwarder: Forwarder,
  commits: Map<ResourceEntry, (() => void)[]>,
): unknown {
  if (!store.scalars.at(series.lane, b, point)) return undefined;
  if (point.t < b - stale) return undefined;
  const t = point.t;
  const v = point.v;
  const attributes = series.attributes as Attributes;
  const endTime = hr(t + store.epoch);
  if (temporality !== DELTA || series.family.kind === 'gauge') {
    return { startTime: hr(series.startAt(t)), endTime, attributes, value: v };
  }
  // The first export of a series counts from its start (a total of 0 before the oldest point).
  const sent = forwarder.sent.get(series);
  if (sent !== undefined && sent.t >= t) return undefined; // nothing new since the last export
  const start = sent === undefined ? series.startAt(t) : sent.t + store.epoch;
  let value: number;
  if (series.family.kind === 'counter') {
    // Increase over every point since the one sent, counter resets added back.
    const n = store.scalars.read(series.lane, sent?.t ?? -1, t, 0, buf);
    let last = sent?.v ?? 0;
    value = 0;
    for (let i = 0; i < n; i++) {
      const x = buf.v[i];
      value += x < last ? x : x - last;
      last = x;
    }
  } else {
    value = v - (sent?.v ?? 0);
  }
  later(commits, series, () => forwarder.sent.set(series, { t, v }));
  return { startTime: hr(start), endTime, attributes, value };
}

function histogramPoint(
  store: RingStore,
  series: Series,
  b: number,
  stale: number,
  temporality: number,
  forwarder: Forwarder,
  commits: Map<ResourceEntry, (() => void)[]>,
): unknown {
  const h = series.hist as HistogramRing;
  const i = h.after(b) - 1;
  if (i < 0) return undefined;
  const slot = h.slot(i);
  const t = h.t[slot];
  if (t < b - stale) return undefined;
  h.cumulativeAt(i, cum);
  const attributes = series.attributes as Attributes;
  const endTime = hr(t + store.epoch);
  if (temporality !== DELTA) {
    return { startTime: hr(series.startAt(t)), endTime, attributes, value: histogramValue(h, cum, cum.min, cum.max) };
  }
  const sent = forwarder.sent.get(series) as SentHistogram | undefined;
  const snapshot = copyOf(cum);
  let start: number;
  const delta = new HistInput();
  if (sent === undefined) {
    // From the series' start: the oldest point's state, then every record (a reset restarts the count).
    h.cumulativeAt(0, delta);
    delta.sum = orZero(h.sum[h.slot(0)]);
    for (let j = 1; j <= i; j++) addRecord(h, j, delta);
    start = series.startAt(t);
  } else {
    if (sent.t >= t) return undefined;
    start = sent.t + store.epoch;
    const i0 = h.after(sent.t) - 1;
    const held = i0 >= 0 && h.t[h.slot(i0)] === sent.t;
    if (held) {
      // Sum the per-point records since the point sent (a reset records absolute counts).
      delta.sum = 0;
      for (let j = i0 + 1; j <= i; j++) addRecord(h, j, delta);
    } else if (cum.count >= sent.hist.count) {
      // The point sent left the ring (a long outage): difference of the cumulative states.
      copyInto(delta, cum);
      delta.count -= sent.hist.count;
      delta.sum = orZero(cum.sum) - orZero(sent.hist.sum);
      delta.zero -= sent.hist.zero;
      delta.pos.addAll(sent.hist.pos, -1);
      delta.neg.addAll(sent.hist.neg, -1);
    } else {
      copyInto(delta, cum);
    }
  }
  later(commits, series, () => forwarder.sent.set(series, { t, v: snapshot.count, hist: snapshot } as SentHistogram));
  return { startTime: hr(start), endTime, attributes, value: histogramValue(h, delta, Number.NaN, Number.NaN) };
}

/** Adds the increase recorded at logical index j (absolute counts after a reset) into `into`. */
function addRecord(h: HistogramRing, j: number, into: HistInput): void {
  const s = h.slot(j);
  const p = h.slot(j - 1);
  h.applyRecord(s, into, 1);
  const reset = h.isReset(j);
  into.count += reset ? h.count[s] : h.count[s] - h.count[p];
  into.sum += reset ? orZero(h.sum[s]) : orZero(h.sum[s]) - orZero(h.sum[p]);
  if (h.zero !== null) into.zero += reset ? h.zero[s] : h.zero[s] - h.zero[p];
}

function orZero(v: number): number {
  return v === v ? v : 0;
}

function copyOf(c: HistInput): HistInput {
  const out = new HistInput();
  copyInto(out, c);
  return out;
}

function copyInto(out: HistInput, c: HistInput): void {
  out.count = c.count;
  out.sum = c.sum;
  out.zero = c.zero;
  out.zeroThreshold = c.zeroThreshold;
  out.scale = c.scale;
  out.min = c.min;
  out.max = c.max;
  out.pos.copyFrom(c.pos);
  out.neg.copyFrom(c.neg);
}

/** sdk-metrics' Histogram / ExponentialHistogram value from a cumulative (or delta) state. */
function histogramValue(h: HistogramRing, c: HistInput, min: number, max: number): unknown {
  const out: Record<string, unknown> = { count: c.count };
  if (c.sum === c.sum) out.sum = c.sum;
  if (min === min) out.min = min;
  if (max === max) out.max = max;
  if (!h.exponential) {
    const counts: number[] = [];
    for (let k = 0; k <= h.boundaries.length; k++) counts.push(c.pos.get(k));
    out.buckets = { boundaries: Array.from(h.boundaries), counts };
    return out;
  }
  out.scale = h.scale;
  out.zeroCount = c.zero;
  if (h.zeroThreshold > 0) out.zeroThreshold = h.zeroThreshold;
  out.positive = side(c.pos);
  out.negative = side(c.neg);
  return out;
}

function side(c: Counts): { offset: number; bucketCounts: number[] } {
  // Trim zero buckets at both ends.
  let lo = 0;
  let hi = c.n;
  while (lo < hi && c.c[lo] === 0) lo++;
  while (hi > lo && c.c[hi - 1] === 0) hi--;
  return { offset: lo < hi ? c.offset + lo : 0, bucketCounts: Array.from(c.c.subarray(lo, hi)) };
}

function emptyResource(): unknown {
  return { attributes: {}, merge: () => emptyResource(), getRawAttributes: () => [] };
}

export { Counts };
