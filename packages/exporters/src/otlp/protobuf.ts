// OTLP/protobuf ExportMetricsServiceRequest from columns: the fields, in the
// order and with the presence rules of @opentelemetry/otlp-transformer's
// ProtobufMetricsSerializer (0.22x and 0.30x write the same bytes), so a
// body decodes to the same message and is in practice byte-identical.
// Attributes are encoded once per series (SeriesEntry.pb) and copied per point.
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type InstrumentationScope, type Resource } from '@fastmeter/sdk';
import type { ExponentialColumns, HistogramColumns, NumberColumns } from '@fastmeter/sdk/internal';
import { type ColumnCollection, type ColumnMetric, endHr, startHr } from '../common/columns.js';
import type { SeriesEntry } from '../common/series.js';
import type { Slicer } from '../common/slicer.js';
import { ProtobufWriter } from './protobuf-writer.js';

/** `sizeHint`: the bytes expected (the previous body's): the content fills one buffer instead of 64 KB chunks. */
export async function encodeProtobuf(collection: ColumnCollection, slicer: Slicer, sizeHint = 0): Promise<Uint8Array> {
  const w = new ProtobufWriter(undefined, sizeHint);
  w.tag(1, 2); // ExportMetricsServiceRequest.resource_metrics
  const resourceMetrics = w.beginOuter();
  writeResource(w, collection.resource);
  for (const { scope, metrics } of collection.scopes) {
    w.tag(2, 2); // ResourceMetrics.scope_metrics
    const scopeMetrics = w.beginOuter();
    writeScope(w, scope);
    for (const metric of metrics) {
      w.tag(2, 2); // ScopeMetrics.metrics
      await writeMetric(w, metric, slicer);
    }
    if (scope.schemaUrl) {
      w.tag(3, 2);
      w.string(scope.schemaUrl);
    }
    w.endOuter(scopeMetrics);
  }
  if (collection.resource.schemaUrl) {
    w.tag(3, 2);
    w.string(collection.resource.schemaUrl);
  }
  w.endOuter(resourceMetrics);
  return w.finishSliced(slicer);
}

function writeResource(w: ProtobufWriter, resource: Resource): void {
  w.tag(1, 2);
  const start = w.begin();
  if (resource.attributes) writeAttributes(w, resource.attributes, 1);
  w.tag(2, 0); // dropped_attributes_count, always written (0)
  w.varint(0);
  w.end(start);
}

function writeScope(w: ProtobufWriter, scope: InstrumentationScope & { attributes?: object; droppedAttributesCount?: number }): void {
  w.tag(1, 2);
  const start = w.begin();
  w.tag(1, 2);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, 2);
    w.string(scope.version);
  }
  if (scope.attributes) writeAttributes(w, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    w.tag(4, 0);
    w.varint(scope.droppedAttributesCount);
  }
  w.end(start);
}

const DATA_FIELD = { [DataPointType.GAUGE]: 5, [DataPointType.SUM]: 7, [DataPointType.HISTOGRAM]: 9, [DataPointType.EXPONENTIAL_HISTOGRAM]: 10 };
/** The attributes field number of each data point message. */
const ATTRIBUTES_FIELD = { [DataPointType.GAUGE]: 7, [DataPointType.SUM]: 7, [DataPointType.HISTOGRAM]: 9, [DataPointType.EXPONENTIAL_HISTOGRAM]: 1 };

async function writeMetric(w: ProtobufWriter, metric: ColumnMetric, slicer: Slicer): Promise<void> {
  const outer = w.beginOuter();
  const { name, description, unit } = metric.descriptor;
  w.tag(1, 2);
  w.string(name);
  if (description) {
    w.tag(2, 2);
    w.string(description);
  }
  if (unit) {
    w.tag(3, 2);
    w.string(unit);
  }
  const type = metric.dataPointType;
  w.tag(DATA_FIELD[type], 2);
  const data = w.beginOuter();
  await writePoints(w, metric, slicer);
  if (type !== DataPointType.GAUGE) {
    const temporality = metric.temporality === AggregationTemporality.DELTA ? 1 : metric.temporality === AggregationTemporality.CUMULATIVE ? 2 : 0;
    if (temporality !== 0) {
      w.tag(2, 0);
      w.varint(temporality);
    }
    if (type === DataPointType.SUM && metric.isMonotonic) {
      w.tag(3, 0);
      w.varint(1);
    }
  }
  w.endOuter(data);
  w.endOuter(outer);
}

/** The data_points (field 1) of the metric's Sum, Gauge, Histogram or ExponentialHistogram. */
async function writePoints(w: ProtobufWriter, metric: ColumnMetric, slicer: Slicer): Promise<void> {
  const type = metric.dataPointType;
  const field = ATTRIBUTES_FIELD[type];
  const times = new TimeCache(metric);
  if (type === DataPointType.SUM || type === DataPointType.GAUGE) {
    const values = (metric.values as NumberColumns).values;
    const asInt = metric.descriptor.valueType === ValueType.INT;
    for (let i = 0; i < metric.count; i++) {
      if ((i & 63) === 63 && slicer.due()) await slicer.pause();
      w.numberPoint(times.bytes(i), asInt, values[i], attributesOf(metric.entries[i], field));
    }
    return;
  }
  if (type === DataPointType.HISTOGRAM) {
    const h = metric.values as HistogramColumns;
    const bounds = explicitBounds(h.boundaries);
    for (let i = 0; i < metric.count; i++) {
      if ((i & 15) === 15 && slicer.due()) await slicer.pause();
      w.histogramPoint(times.bytes(i), h.count[i], h.sum, i, h.counts, i * h.stride, h.stride, bounds, attributesOf(metric.entries[i], field), h.min, h.max);
    }
    return;
  }
  for (let i = 0; i < metric.count; i++) {
    if ((i & 7) === 7 && slicer.due()) await slicer.pause();
    w.tag(1, 2);
    const start = w.begin();
    writeExponentialPoint(w, (metric.values as ExponentialColumns).values[i], i, times, attributesOf(metric.entries[i], field));
    w.end(start);
  }
}

function writeExponentialPoint(
  w: ProtobufWriter,
  h: { count: number; sum?: number; scale: number; zeroCount: number; min?: number; max?: number; positive: Buckets; negative: Buckets },
  i: number,
  times: TimeCache,
  attributes: Uint8Array,
): void {
  w.raw(attributes);
  w.raw(times.bytes(i));
  w.tag(4, 1);
  w.fixed64Number(h.count);
  if (h.sum !== undefined) {
    w.tag(5, 1);
    w.double(h.sum);
  }
  if (h.scale !== 0) {
    w.tag(6, 0);
    w.sint32(h.scale);
  }
  w.tag(7, 1);
  w.fixed64Number(h.zeroCount);
  w.tag(8, 2);
  writeBuckets(w, h.positive);
  w.tag(9, 2);
  writeBuckets(w, h.negative);
  if (h.min !== undefined) {
    w.tag(12, 1);
    w.double(h.min);
  }
  if (h.max !== undefined) {
    w.tag(13, 1);
    w.double(h.max);
  }
}

interface Buckets {
  offset: number;
  bucketCounts: number[];
}

function writeBuckets(w: ProtobufWriter, buckets: Buckets): void {
  const start = w.begin();
  if (buckets.offset !== 0) {
    w.tag(1, 0);
    w.sint32(buckets.offset);
  }
  if (buckets.bucketCounts.length > 0) {
    w.tag(2, 2);
    const counts = w.begin();
    for (const count of buckets.bucketCounts) w.varint64(count);
    w.end(counts);
  }
  w.end(start);
}

// ---- attributes --------------------------------------------------------------------

/** The series' attributes as repeated KeyValue fields numbered `field`, encoded once per series. */
function attributesOf(entry: SeriesEntry, field: number): Uint8Array {
  if (entry.pb !== undefined && entry.pbField === field) return entry.pb;
  const w = new ProtobufWriter(128);
  writeAttributes(w, entry.attributes(), field);
  entry.pb = w.finish();
  entry.pbField = field;
  return entry.pb;
}

const hasOwn = Object.prototype.hasOwnProperty;

export function writeAttributes(w: ProtobufWriter, attributes: object, field: number): void {
  for (const key in attributes) {
    if (!hasOwn.call(attributes, key)) continue;
    w.tag(field, 2);
    const kv = w.begin();
    w.tag(1, 2);
    w.string(key);
    w.tag(2, 2);
    const value = w.begin();
    writeAnyValue(w, (attributes as Record<string, unknown>)[key]);
    w.end(value);
    w.end(kv);
  }
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

function writeAnyValue(w: ProtobufWriter, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.tag(1, 2);
    w.string(value as string);
  } else if (t === 'boolean') {
    w.tag(2, 0);
    w.varint(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      w.tag(3, 0);
      w.varint64(n);
    } else {
      w.tag(4, 1);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.tag(7, 2);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, 2);
    const array = w.begin();
    for (const item of value) {
      w.tag(1, 2);
      const v = w.begin();
      writeAnyValue(w, item);
      w.end(v);
    }
    w.end(array);
  } else if (t === 'object' && value != null) {
    w.tag(6, 2);
    const list = w.begin();
    for (const key in value) {
      if (!hasOwn.call(value, key)) continue;
      w.tag(1, 2);
      const kv = w.begin();
      w.tag(1, 2);
      w.string(key);
      w.tag(2, 2);
      const v = w.begin();
      writeAnyValue(w, (value as Record<string, unknown>)[key]);
      w.end(v);
      w.end(kv);
    }
    w.end(list);
  }
}

// ---- times ------------------------------------------------------------------------------

/** explicit_bounds (field 7, packed doubles) of a metric's points: the same for all of them, encoded once. */
function explicitBounds(boundaries: readonly number[]): Uint8Array {
  const w = new ProtobufWriter(16 + boundaries.length * 8);
  if (boundaries.length > 0) {
    w.tag(7, 2);
    const start = w.begin();
    for (const bound of boundaries) w.double(bound);
    w.end(start);
  }
  return w.finish();
}

/**
 * start_time_unix_nano (2) and time_unix_nano (3), tags included, as the
 * standard serialiser computes them: 18 bytes, encoded once per distinct start.
 */
class TimeCache {
  private readonly _end: [number, number] | null;
  private _startMs = Number.NaN;
  private _bytes: Uint8Array = new Uint8Array(0);

  constructor(private readonly _metric: ColumnMetric) {
    this._end = _metric.times.kind === 'ms' ? nanos64(endHr(_metric, 0)) : null;
  }

  bytes(i: number): Uint8Array {
    const m = this._metric;
    if (m.times.kind !== 'ms' || this._end === null) return timesBytes(nanos64(startHr(m, i)), nanos64(endHr(m, i)));
    const ms = m.times.start[i];
    if (ms !== this._startMs) {
      this._startMs = ms;
      this._bytes = timesBytes(nanos64(startHr(m, i)), this._end);
    }
    return this._bytes;
  }
}

function timesBytes(start: [number, number], end: [number, number]): Uint8Array {
  const w = new ProtobufWriter(18);
  w.tag(2, 1);
  w.fixed64(start[0], start[1]);
  w.tag(3, 1);
  w.fixed64(end[0], end[1]);
  return w.finish();
}

/** An HrTime as [low, high] words of its nanoseconds, with the standard serialiser's arithmetic. */
function nanos64(time: readonly [number, number]): [number, number] {
  const seconds = time[0];
  const nanos = time[1];
  const lower = (seconds & 0xffff) * 1_000_000_000;
  const upper = ((seconds / 0x10000) >>> 0) * 1_000_000_000;
  const low = (lower >>> 0) + (((upper & 0xffff) * 0x10000) >>> 0) + nanos;
  const high = Math.floor(lower / 0x100000000) + ((upper / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
  return [low >>> 0, high >>> 0];
}
