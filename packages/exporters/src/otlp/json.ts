// OTLP/JSON ExportMetricsServiceRequest from columns: the text
// JSON.stringify(createExportMetricsServiceRequest(...)) of
// @opentelemetry/otlp-transformer's JsonMetricsSerializer produces (same
// members in the same order, same omissions, int64 timestamps as decimal
// strings, non-finite numbers as null), written in slices. The attributes
// member of each series is rendered once (SeriesEntry.json).
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type InstrumentationScope } from '@fastmeter/sdk';
import type { ExponentialColumns, HistogramColumns, NumberColumns } from '@fastmeter/sdk/internal';
import { type ColumnCollection, type ColumnMetric, endHr, startHr } from '../common/columns.js';
import type { SeriesEntry } from '../common/series.js';
import type { Slicer } from '../common/slicer.js';
import { TextSink } from '../common/text-sink.js';

export async function encodeJson(collection: ColumnCollection, slicer: Slicer): Promise<Uint8Array> {
  const sink = new TextSink();
  const resource = collection.resource;
  const schemaUrl = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
  sink.write(`{"resourceMetrics":[{"resource":{${attributesMember(resource.attributes)},"droppedAttributesCount":0${schemaUrl}}${schemaUrl},"scopeMetrics":[`);
  for (let s = 0; s < collection.scopes.length; s++) {
    const { scope, metrics } = collection.scopes[s];
    sink.write(`${s > 0 ? ',' : ''}{"scope":${scopeJson(scope)},"metrics":[`);
    for (let m = 0; m < metrics.length; m++) {
      if (m > 0) sink.write(',');
      await writeMetric(sink, metrics[m], slicer);
    }
    sink.write(`]${scope.schemaUrl !== undefined ? `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}` : ''}}`);
  }
  sink.write(']}]}');
  return Buffer.concat(sink.finish());
}

function scopeJson(scope: InstrumentationScope & { attributes?: object; droppedAttributesCount?: number }): string {
  let out = `{"name":${JSON.stringify(scope.name)}`;
  if (scope.version !== undefined) out += `,"version":${JSON.stringify(scope.version)}`;
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    out += `,${attributesMember(scope.attributes)},"droppedAttributesCount":${number(scope.droppedAttributesCount ?? 0)}`;
  }
  return `${out}}`;
}

async function writeMetric(sink: TextSink, metric: ColumnMetric, slicer: Slicer): Promise<void> {
  const { name, description, unit } = metric.descriptor;
  const temporality = metric.temporality === AggregationTemporality.DELTA ? 1 : metric.temporality === AggregationTemporality.CUMULATIVE ? 2 : undefined;
  const t = temporality === undefined ? '' : `"aggregationTemporality":${temporality},`;
  let open: string;
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      open = `"sum":{${t}"isMonotonic":${metric.isMonotonic},"dataPoints":[`;
      break;
    case DataPointType.GAUGE:
      open = `"gauge":{"dataPoints":[`;
      break;
    case DataPointType.HISTOGRAM:
      open = `"histogram":{${t}"dataPoints":[`;
      break;
    default:
      open = `"exponentialHistogram":{${t}"dataPoints":[`;
  }
  sink.write(`{"name":${JSON.stringify(name)},"description":${JSON.stringify(description)},"unit":${JSON.stringify(unit)},${open}`);
  const times = new TimeStrings(metric);
  const type = metric.dataPointType;
  const every = type === DataPointType.SUM || type === DataPointType.GAUGE ? 63 : 7;
  const valueKey = metric.descriptor.valueType === ValueType.INT ? '"asInt":' : metric.descriptor.valueType === ValueType.DOUBLE ? '"asDouble":' : undefined;
  let out = '';
  for (let i = 0; i < metric.count; i++) {
    if ((i & every) === every && slicer.due()) {
      sink.write(out);
      out = '';
      await slicer.pause();
    }
    const comma = i > 0 ? ',' : '';
    const attributes = entryJson(metric.entries[i]);
    if (type === DataPointType.SUM || type === DataPointType.GAUGE) {
      const value = valueKey === undefined ? '' : `,${valueKey}${number((metric.values as NumberColumns).values[i])}`;
      out += `${comma}{${attributes},"startTimeUnixNano":"${times.start(i)}","timeUnixNano":"${times.end(i)}"${value}}`;
    } else if (type === DataPointType.HISTOGRAM) {
      out += `${comma}{${attributes},${histogramFields(metric.values as HistogramColumns, i)},"startTimeUnixNano":"${times.start(i)}","timeUnixNano":"${times.end(i)}"}`;
    } else {
      out += `${comma}{${attributes},${exponentialFields((metric.values as ExponentialColumns).values[i])},"startTimeUnixNano":"${times.start(i)}","timeUnixNano":"${times.end(i)}"}`;
    }
  }
  sink.write(`${out}]}}`);
}

function histogramFields(h: HistogramColumns, i: number): string {
  const base = i * h.stride;
  let counts = '';
  for (let b = 0; b < h.stride; b++) counts += `${b > 0 ? ',' : ''}${number(h.counts[base + b])}`;
  // The bounds are the stream's own array, exported as is (whatever advice put in it).
  let out = `"bucketCounts":[${counts}],"explicitBounds":${JSON.stringify(h.boundaries)},"count":${number(h.count[i])}`;
  if (h.sum !== null) out += `,"sum":${number(h.sum[i])}`;
  if (h.min !== null && h.count[i] > 0) out += `,"min":${number(h.min[i])},"max":${number((h.max as Float64Array)[i])}`;
  return out;
}

function exponentialFields(h: ExponentialColumns['values'][number]): string {
  let out = `"count":${number(h.count)}`;
  if (h.min !== undefined) out += `,"min":${number(h.min)}`;
  if (h.max !== undefined) out += `,"max":${number(h.max)}`;
  if (h.sum !== undefined) out += `,"sum":${number(h.sum)}`;
  const buckets = (b: { offset: number; bucketCounts: number[] }) => `{"offset":${number(b.offset)},"bucketCounts":[${b.bucketCounts.map(number).join(',')}]}`;
  return `${out},"positive":${buckets(h.positive)},"negative":${buckets(h.negative)},"scale":${number(h.scale)},"zeroCount":${number(h.zeroCount)}`;
}

// ---- values -------------------------------------------------------------------------

/** A number as JSON.stringify writes it. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** `"attributes":[...]` of a series, rendered once. */
function entryJson(entry: SeriesEntry): string {
  return entry.json ?? (entry.json = attributesMember(entry.attributes()));
}

function attributesMember(attributes: object): string {
  return `"attributes":${keyValues(attributes)}`;
}

function keyValues(attributes: object): string {
  let out = '[';
  for (const key of Object.keys(attributes)) {
    out += `${out.length > 1 ? ',' : ''}{"key":${JSON.stringify(key)},"value":${anyValue((attributes as Record<string, unknown>)[key])}}`;
  }
  return `${out}]`;
}

function anyValue(value: unknown): string {
  const t = typeof value;
  if (t === 'string') return `{"stringValue":${JSON.stringify(value)}}`;
  if (t === 'number') return Number.isInteger(value) ? `{"intValue":${number(value as number)}}` : `{"doubleValue":${number(value as number)}}`;
  if (t === 'boolean') return `{"boolValue":${value}}`;
  if (value instanceof Uint8Array) return `{"bytesValue":${JSON.stringify(Buffer.from(value).toString('base64'))}}`;
  if (Array.isArray(value)) return `{"arrayValue":{"values":[${value.map(anyValue).join(',')}]}}`;
  if (t === 'object' && value != null) {
    const values = Object.keys(value).map(k => `{"key":${JSON.stringify(k)},"value":${anyValue((value as Record<string, unknown>)[k])}}`);
    return `{"kvlistValue":{"values":[${values.join(',')}]}}`;
  }
  return '{}';
}

// ---- times ------------------------------------------------------------------------------

/** Decimal nanosecond strings of a metric's times, computed once per distinct value. */
class TimeStrings {
  private readonly _end: string | null;
  private _startMs = Number.NaN;
  private _start = '';

  constructor(private readonly _metric: ColumnMetric) {
    this._end = _metric.times.kind === 'ms' ? nanos(endHr(_metric, 0)) : null;
  }

  start(i: number): string {
    const m = this._metric;
    if (m.times.kind !== 'ms') return nanos(startHr(m, i));
    const ms = m.times.start[i];
    if (ms !== this._startMs) {
      this._startMs = ms;
      this._start = nanos(startHr(m, i));
    }
    return this._start;
  }

  end(i: number): string {
    return this._end ?? nanos(endHr(this._metric, i));
  }
}

/** An HrTime's nanoseconds as otlp-transformer's JSON encoder writes them (BigInt arithmetic, truncated parts). */
function nanos(time: readonly [number, number]): string {
  const seconds = Math.trunc(time[0]);
  const ns = Math.trunc(time[1]);
  if (seconds > 0 && ns >= 0 && ns < 1_000_000_000 && Number.isSafeInteger(seconds)) return `${seconds}${String(ns).padStart(9, '0')}`;
  return (BigInt(seconds) * 1_000_000_000n + BigInt(ns)).toString();
}
