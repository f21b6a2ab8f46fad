// OTLP/JSON ExportMetricsServiceRequest from columns: the text
// JSON.stringify(createExportMetricsServiceRequest(...)) of
// @opentelemetry/otlp-transformer's JsonMetricsSerializer produces (same
// members in the same order, same omissions, int64 timestamps as decimal
// strings, non-finite numbers as null), written in slices. The attributes
// member of each series is rendered once (SeriesEntry.json).
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type InstrumentationScope } from '@fastmeter/sdk';
import type { ExponentialColumns, HistogramColumns, NumberColumns, SeamStream } from '@fastmeter/sdk/internal';
import { type ColumnCollection, type ColumnMetric, endHr, startHr } from '../common/columns.js';
import type { SeriesEntry } from '../common/series.js';
import type { Slicer } from '../common/slicer.js';
import { ByteWriter, utf8 } from '../common/byte-writer.js';

/** `sizeHint`: the bytes expected (the previous body's): a body that fits is returned without a copy. */
export async function encodeJson(collection: ColumnCollection, slicer: Slicer, sizeHint = 0): Promise<Uint8Array> {
  const sink = new ByteWriter(256 * 1024, sizeHint);
  const resource = collection.resource;
  const schemaUrl = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
  sink.utf8(`{"resourceMetrics":[{"resource":{${attributesMember(resource.attributes)},"droppedAttributesCount":0${schemaUrl}}${schemaUrl},"scopeMetrics":[`);
  for (let s = 0; s < collection.scopes.length; s++) {
    const { scope, metrics } = collection.scopes[s];
    sink.utf8(`${s > 0 ? ',' : ''}{"scope":${scopeJson(scope)},"metrics":[`);
    for (let m = 0; m < metrics.length; m++) {
      if (m > 0) sink.ascii(',');
      await writeMetric(sink, metrics[m], slicer);
    }
    sink.utf8(`]${scope.schemaUrl !== undefined ? `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}` : ''}}`);
  }
  sink.ascii(']}]}');
  return sink.finishSliced(slicer);
}

function scopeJson(scope: InstrumentationScope & { attributes?: object; droppedAttributesCount?: number }): string {
  let out = `{"name":${JSON.stringify(scope.name)}`;
  if (scope.version !== undefined) out += `,"version":${JSON.stringify(scope.version)}`;
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    out += `,${attributesMember(scope.attributes)},"droppedAttributesCount":${jsonNumber(scope.droppedAttributesCount ?? 0)}`;
  }
  return `${out}}`;
}

async function writeMetric(out: ByteWriter, metric: ColumnMetric, slicer: Slicer): Promise<void> {
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
  out.utf8(`{"name":${JSON.stringify(name)},"description":${JSON.stringify(description)},"unit":${JSON.stringify(unit)},${open}`);
  const type = metric.dataPointType;
  const every = type === DataPointType.SUM || type === DataPointType.GAUGE ? 63 : 7;
  const valueKey =
    metric.descriptor.valueType === ValueType.INT ? '","asInt":' : metric.descriptor.valueType === ValueType.DOUBLE ? '","asDouble":' : undefined;
  // What follows the times: the value's key, or the point's end.
  const times = new TimeStrings(metric, (type === DataPointType.SUM || type === DataPointType.GAUGE ? valueKey : undefined) ?? '"}');
  // The bounds are the stream's own array, exported as is (whatever advice put in it).
  const bounds =
    type === DataPointType.HISTOGRAM ? utf8(`],"explicitBounds":${JSON.stringify((metric.values as HistogramColumns).boundaries)},"count":`) : undefined;
  const sids = metric.snapshot?.sids;
  // What follows the attributes in every point of this type, stored with them.
  const after = type === DataPointType.HISTOGRAM ? ',"bucketCounts":[' : '';
  const arena = metric.stream !== undefined && sids !== undefined ? arenaOf(metric.stream, after) : undefined;
  for (let i = 0; i < metric.count; i++) {
    if ((i & every) === every && slicer.due()) await slicer.pause();
    if (i > 0) out.byte(44); // ,
    if (arena !== undefined) arena.write(out, (sids as Int32Array)[i], metric.entries[i]);
    else {
      out.byte(123); // {
      out.raw(entryJson(metric.entries[i]));
      out.ascii(after);
    }
    if (type === DataPointType.SUM || type === DataPointType.GAUGE) {
      writeTimes(out, times, i);
      if (valueKey !== undefined) {
        number(out, (metric.values as NumberColumns).values[i]);
        out.byte(125); // }
      }
    } else if (type === DataPointType.HISTOGRAM) {
      histogramFields(out, metric.values as HistogramColumns, i, bounds as Uint8Array);
      writeTimes(out, times, i);
    } else {
      out.ascii(',');
      out.utf8(exponentialFields((metric.values as ExponentialColumns).values[i]));
      writeTimes(out, times, i);
    }
  }
  out.ascii(']}}');
}

/** `,"startTimeUnixNano":"…","timeUnixNano":"…` and what follows (TimeStrings' `after`). */
function writeTimes(out: ByteWriter, times: TimeStrings, i: number): void {
  out.raw(times.bytes(i));
}

/** From the first bucket count on (`,"bucketCounts":[` is written with the attributes). */
function histogramFields(out: ByteWriter, h: HistogramColumns, i: number, bounds: Uint8Array): void {
  const base = i * h.stride;
  out.jsonNumbers(h.counts, base, h.stride);
  out.raw(bounds);
  number(out, h.count[i]);
  if (h.sum !== null) {
    out.ascii(',"sum":');
    number(out, h.sum[i]);
  }
  if (h.min !== null && h.count[i] > 0) {
    out.ascii(',"min":');
    number(out, h.min[i]);
    out.ascii(',"max":');
    number(out, (h.max as Float64Array)[i]);
  }
}

function exponentialFields(h: ExponentialColumns['values'][number]): string {
  let out = `"count":${jsonNumber(h.count)}`;
  if (h.min !== undefined) out += `,"min":${jsonNumber(h.min)}`;
  if (h.max !== undefined) out += `,"max":${jsonNumber(h.max)}`;
  if (h.sum !== undefined) out += `,"sum":${jsonNumber(h.sum)}`;
  const buckets = (b: { offset: number; bucketCounts: number[] }) =>
    `{"offset":${jsonNumber(b.offset)},"bucketCounts":[${b.bucketCounts.map(jsonNumber).join(',')}]}`;
  return `${out},"positive":${buckets(h.positive)},"negative":${buckets(h.negative)},"scale":${jsonNumber(h.scale)},"zeroCount":${jsonNumber(h.zeroCount)}`;
}

// ---- values -------------------------------------------------------------------------

/** A number as JSON.stringify writes it. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

function number(out: ByteWriter, value: number): void {
  if (Number.isFinite(value)) out.number(value);
  else out.ascii('null');
}

/** `"attributes":[...]` of a series, rendered and encoded once. */
function entryJson(entry: SeriesEntry): Uint8Array {
  return entry.json ?? (entry.json = utf8(attributesMember(entry.attributes())));
}

const arenas = new WeakMap<SeamStream, AttributeArena>();

function arenaOf(stream: SeamStream, after: string): AttributeArena {
  let arena = arenas.get(stream);
  if (arena === undefined) arenas.set(stream, (arena = new AttributeArena(after)));
  return arena;
}

/**
 * A stream's points up to their values (`{"attributes":[...]` and, for histograms,
 * `,"bucketCounts":[`) in one buffer, by series id. Points
 * come in series order, so their bytes are read one after the other, not from
 * one small array per series scattered over the heap (20,000 series: the cache
 * misses cost more than the copy). A series id reused by another series is
 * rendered again; the buffer is compacted when it fills, to twice what is live.
 */
class AttributeArena {
  private readonly _owner: (SeriesEntry | undefined)[] = [];
  private _start = new Int32Array(64);
  private _end = new Int32Array(64);
  private _bytes = new Uint8Array(4096);
  private _used = 0;
  private _live = 0;

  /** `after`: what follows the attributes in every point of the stream (its type's next member). */
  constructor(private readonly _after: string) {}

  write(out: ByteWriter, sid: number, entry: SeriesEntry): void {
    if (this._owner[sid] !== entry) this._add(sid, entry);
    out.raw(this._bytes.subarray(this._start[sid], this._end[sid]));
  }

  private _add(sid: number, entry: SeriesEntry): void {
    const rendered = utf8(`{${attributesMember(entry.attributes())}${this._after}`);
    const n = rendered.length;
    if (this._owner[sid] !== undefined) this._live -= this._end[sid] - this._start[sid];
    else if (sid >= this._start.length) {
      const size = Math.max(this._start.length * 2, sid + 1);
      const start = new Int32Array(size);
      const end = new Int32Array(size);
      start.set(this._start);
      end.set(this._end);
      this._start = start;
      this._end = end;
    }
    this._owner[sid] = undefined;
    if (this._used + n > this._bytes.length) this._compact(n);
    this._bytes.set(rendered, this._used);
    this._start[sid] = this._used;
    this._used += n;
    this._end[sid] = this._used;
    this._live += n;
    this._owner[sid] = entry;
  }

  /** Copies the live members into a buffer twice their size (plus `n`). */
  private _compact(n: number): void {
    const bytes = new Uint8Array(Math.max(4096, (this._live + n) * 2));
    let used = 0;
    for (let sid = 0; sid < this._owner.length; sid++) {
      if (this._owner[sid] === undefined) continue;
      const length = this._end[sid] - this._start[sid];
      bytes.set(this._bytes.subarray(this._start[sid], this._end[sid]), used);
      this._start[sid] = used;
      used += length;
      this._end[sid] = used;
    }
    this._bytes = bytes;
    this._used = used;
  }
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
  if (t === 'number') return Number.isInteger(value) ? `{"intValue":${jsonNumber(value as number)}}` : `{"doubleValue":${jsonNumber(value as number)}}`;
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

/** A metric's `,"startTimeUnixNano":"…","timeUnixNano":"…` bytes and what follows them, encoded once per distinct start time. */
class TimeStrings {
  private readonly _end: string | null;
  private _startMs = Number.NaN;
  private _bytes: Uint8Array = new Uint8Array(0);

  /** `after`: what follows the end time's digits in every point (`"}`, or `","asInt":`). */
  constructor(
    private readonly _metric: ColumnMetric,
    private readonly _after: string,
  ) {
    this._end = _metric.times.kind === 'ms' ? nanos(endHr(_metric, 0)) : null;
  }

  bytes(i: number): Uint8Array {
    const m = this._metric;
    if (m.times.kind !== 'ms' || this._end === null)
      return utf8(`,"startTimeUnixNano":"${nanos(startHr(m, i))}","timeUnixNano":"${nanos(endHr(m, i))}${this._after}`);
    const ms = m.times.start[i];
    if (ms !== this._startMs) {
      this._startMs = ms;
      this._bytes = utf8(`,"startTimeUnixNano":"${nanos(startHr(m, i))}","timeUnixNano":"${this._end}${this._after}`);
    }
    return this._bytes;
  }
}

/** An HrTime's nanoseconds as otlp-transformer's JSON encoder writes them (BigInt arithmetic, truncated parts). */
function nanos(time: readonly [number, number]): string {
  const seconds = Math.trunc(time[0]);
  const ns = Math.trunc(time[1]);
  if (seconds > 0 && ns >= 0 && ns < 1_000_000_000 && Number.isSafeInteger(seconds)) return `${seconds}${String(ns).padStart(9, '0')}`;
  return (BigInt(seconds) * 1_000_000_000n + BigInt(ns)).toString();
}
