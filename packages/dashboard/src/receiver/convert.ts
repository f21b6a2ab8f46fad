// A decoded ExportMetricsServiceRequest (protobufjs message objects, from either
// protobuf or JSON) → sdk-metrics' ResourceMetrics shape, validating every point.
// A point that cannot be represented is rejected and counted, never guessed at:
// the count and the first reasons go back to the sender as OTLP partial success.
// Field semantics: opentelemetry-proto metrics.proto and
// https://opentelemetry.io/docs/specs/otel/metrics/data-model/
import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import {
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
  type ScopeMetrics,
  Temporality,
  ValueType,
} from './types.js';

/** NumberDataPoint/HistogramDataPoint flags: FLAG_NO_RECORDED_VALUE (a staleness marker, not a value). */
const NO_RECORDED_VALUE = 1;
/** Distinct reasons kept for the response's error_message. */
const MAX_REASONS = 5;
/** Valid exponential histogram scales (metrics data model). */
const MIN_SCALE = -10;
const MAX_SCALE = 20;
/** Nesting of array and kvlist attribute values kept (deeper values are dropped). */
const MAX_DEPTH = 8;

export interface Converted {
  resourceMetrics: ResourceMetrics[];
  /** Points handed on. */
  accepted: number;
  /** Points refused (partial_success.rejected_data_points). */
  rejected: number;
  /** Points flagged "no recorded value": neither accepted nor rejected. */
  skipped: number;
  /** The first distinct reasons for rejection. */
  reasons: string[];
}

class Rejection extends Error {}

/** int64/uint64/fixed64 as protobufjs gives them: a Long, a number, or (from JSON) a decimal string. */
function int64(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return 0;
  if (typeof value === 'object' && typeof (value as { toNumber?: unknown }).toNumber === 'function') return (value as { toNumber(): number }).toNumber();
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  throw new Rejection(`not an integer: ${typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : typeof value}`);
}

function count(value: unknown, what: string): number {
  const n = int64(value);
  if (!(n >= 0) || !Number.isSafeInteger(n)) throw new Rejection(`${what} is not a count: ${n}`);
  return n;
}

function finite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Rejection(`${what} is not a finite number`);
  return value;
}

/**
 * Nanosecond timestamps as HrTime, exactly (a double holds only 2^53 ns). The
 * points of one export share their end time, and start times repeat across
 * series: conversions are cached per request (keyed by the value as a double,
 * checked against both 32-bit halves), and points with one timestamp share
 * the HrTime array.
 */
class Clock {
  private readonly _cache = new Map<number, { high: number; low: number; time: HrTime }>();
  constructor(private readonly _now: HrTime) {}

  // The two Long timestamps converted last (the OtlpReader returns the same frozen
  // Long for a repeated timestamp: start and end times alternate point by point).
  private _ref0: object | undefined;
  private _time0: HrTime = [0, 0];
  private _ref1: object | undefined;
  private _time1: HrTime = [0, 0];

  hrTime(value: unknown): HrTime {
    if (value === this._ref0) return this._time0;
    if (value === this._ref1) return this._time1;
    if (value === null || value === undefined || value === 0 || value === '0') return this._now;
    if (typeof value === 'object') {
      const time = this._long(value);
      if (Object.isFrozen(value)) {
        this._ref1 = this._ref0;
        this._time1 = this._time0;
        this._ref0 = value;
        this._time0 = time;
      }
      return time;
    }
    let ns: bigint;
    if (typeof value === 'string' && /^\d+$/.test(value)) ns = BigInt(value);
    else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ns = BigInt(value);
    else throw new Rejection('timestamp is not an unsigned integer');
    return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  }

  /** A Long (or any {low, high}) timestamp. */
  private _long(value: object): HrTime {
    const { low, high } = value as { low: number; high: number };
    if (typeof low !== 'number' || typeof high !== 'number') throw new Rejection('timestamp is not an unsigned integer');
    if (low === 0 && high === 0) return this._now;
    const key = (high >>> 0) * 4294967296 + (low >>> 0);
    const hit = this._cache.get(key);
    if (hit !== undefined && hit.high === high && hit.low === low) return hit.time;
    const ns = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    const time: HrTime = [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
    if (this._cache.size < 4096) this._cache.set(key, { high, low, time });
    return time;
  }
}

/**
 * Which member of a oneof is set. protobufjs keeps defaults of oneof members on
 * the prototype, and its virtual oneof property walks Object.keys: an own
 * property test is the cheap, exact answer.
 */
const has = (o: object, key: string): boolean =>
  Object.hasOwn(o, key) && (o as Record<string, unknown>)[key] !== null && (o as Record<string, unknown>)[key] !== undefined;

// ---- attributes ---------------------------------------------------------------------

/** An OTLP AnyValue as an OTel attribute value (kvlist and bytes, which attributes cannot hold, as strings). */
const ANY_VALUE_FIELDS = ['stringValue', 'intValue', 'doubleValue', 'boolValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

function anyValue(v: any, depth: number): AttributeValue | undefined {
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return undefined;
  let kind: string | undefined;
  for (let i = 0; i < ANY_VALUE_FIELDS.length; i++) {
    if (has(v, ANY_VALUE_FIELDS[i])) {
      kind = ANY_VALUE_FIELDS[i];
      break;
    }
  }
  switch (kind) {
    case 'stringValue':
      return String(v.stringValue);
    case 'boolValue':
      return Boolean(v.boolValue);
    case 'intValue':
      return int64(v.intValue);
    case 'doubleValue':
      return Number(v.doubleValue);
    case 'arrayValue': {
      const values = (v.arrayValue?.values ?? []).map((x: unknown) => anyValue(x, depth + 1));
      return values.map((x: unknown) => (x === undefined || (typeof x === 'object' && x !== null) ? null : x)) as AttributeValue;
    }
    case 'kvlistValue':
      return JSON.stringify(attributes(v.kvlistValue?.values, depth + 1));
    case 'bytesValue':
      return Buffer.from(v.bytesValue ?? []).toString('base64');
    default:
      return undefined;
  }
}

/** KeyValue[] → Attributes. `__proto__` keys are dropped (they would replace the object's prototype). */
export function attributes(list: any[] | undefined, depth = 0): Attributes {
  const out: Attributes = {};
  if (list === undefined || list === null) return out;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    const key = kv?.key;
    if (typeof key !== 'string' || key === '' || key === '__proto__') continue;
    const value = anyValue(kv.value, depth);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * One node of AttributeCache's trie: the lists that begin with the same (key,
 * string value) pairs. Its children are keyed by the next value under the next
 * key `key` (lists whose next key differs go through `otherKeys`), and the
 * child taken last is remembered: consecutive points usually share a prefix.
 */
class AttributeNode {
  attributes: Attributes | undefined = undefined;
  key: string | undefined = undefined;
  values: Map<string, AttributeNode> | undefined = undefined;
  lastValue: string | undefined = undefined;
  lastChild: AttributeNode | undefined = undefined;
  otherKeys: Map<string, AttributeNode> | undefined = undefined;
}

/** Trie nodes one request may create (one per distinct list prefix); past it, lists are converted without caching. */
const MAX_ATTRIBUTE_NODES = 1 << 16;
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * KeyValue[] → Attributes, once per distinct list in a request: the series of a
 * collection recur in every metric, so most lists were seen before. Lists whose
 * values are all strings (what attributes almost always are) are looked up in a
 * trie keyed by the keys and values in order (strings from the OtlpReader's cache
 * are the same JS strings, so the Map lookups hash nothing new); the first sight
 * builds the object with `attributes()`. A cached object is shared by every
 * point with that list, so it is frozen: no consumer can alter another point's
 * attributes. Other lists (int, double, bool, array, kvlist, bytes values) are
 * converted for each point.
 */
export class AttributeCache {
  private readonly _root = new AttributeNode();
  private _nodes = 0;

  constructor(private readonly _maxNodes = MAX_ATTRIBUTE_NODES) {}

  get(list: any[] | null | undefined): Attributes {
    if (list === undefined || list === null || list.length === 0) return EMPTY_ATTRIBUTES;
    let node = this._root;
    for (let i = 0; i < list.length; i++) {
      const kv = list[i];
      const key = kv?.key;
      const v = kv?.value;
      if (typeof key !== 'string' || v === null || typeof v !== 'object') return attributes(list);
      // The string member of the AnyValue oneof, when set: protobufjs keeps the
      // default '' on the prototype, so a non-empty string is the own member.
      const value = v.stringValue;
      if (typeof value !== 'string' || (value === '' && !Object.hasOwn(v, 'stringValue'))) return attributes(list);
      let parent = node;
      if (key !== node.key) {
        if (node.key === undefined) node.key = key;
        else {
          let other = node.otherKeys?.get(key);
          if (other === undefined) {
            if (this._nodes >= this._maxNodes) return attributes(list);
            this._nodes++;
            other = new AttributeNode();
            other.key = key;
            (node.otherKeys ??= new Map()).set(key, other);
          }
          parent = other;
        }
      }
      let child = value === parent.lastValue ? parent.lastChild : parent.values?.get(value);
      if (child === undefined) {
        if (this._nodes >= this._maxNodes) return attributes(list);
        this._nodes++;
        child = new AttributeNode();
        (parent.values ??= new Map()).set(value, child);
      }
      parent.lastValue = value;
      parent.lastChild = child;
      node = child;
    }
    return (node.attributes ??= Object.freeze(attributes(list)));
  }
}

// ---- points -------------------------------------------------------------------------

function temporality(value: unknown): number {
  if (value === 1) return Temporality.DELTA;
  if (value === 2) return Temporality.CUMULATIVE;
  throw new Rejection(`aggregation temporality ${String(value)} is neither DELTA (1) nor CUMULATIVE (2)`);
}

/**
 * Whether the NumberDataPoint's value is as_double (else as_int, else neither).
 * protobufjs keeps the default 0 of as_double on the prototype: a value other
 * than 0 (and not null) is the own member, only 0 needs the own-property test.
 */
function isDouble(p: any): boolean {
  const d = p.asDouble;
  return d !== 0 ? d !== undefined && d !== null : Object.hasOwn(p, 'asDouble');
}

function optionalDouble(p: any, field: string): number | undefined {
  if (!has(p, field)) return undefined;
  return finite(p[field], field);
}

/**
 * A histogram point's explicit bounds, validated. The points of a metric almost
 * always have the same bounds: an array equal to the previous point's is that
 * array again (frozen, like every object shared between points), as sdk-metrics
 * shares one boundaries array between the points of a metric.
 */
class Bounds {
  private _last = Object.freeze([]) as unknown as number[];

  get(raw: ArrayLike<unknown> | null | undefined): number[] {
    const list = raw ?? [];
    const last = this._last;
    if (list.length === last.length) {
      let i = 0;
      while (i < last.length && Object.is(list[i], last[i])) i++;
      if (i === last.length) return last;
    }
    const bounds: number[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) bounds[i] = finite(list[i], 'explicit bound');
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i] > bounds[i - 1])) throw new Rejection('explicit bounds are not strictly increasing');
    this._last = Object.freeze(bounds) as number[];
    return this._last;
  }
}

function histogram(p: any, boundsCache: Bounds): Histogram {
  const total = count(p.count, 'count');
  const bounds = boundsCache.get(p.explicitBounds);
  const raw = p.bucketCounts ?? [];
  let counts: number[];
  if (raw.length === 0) {
    if (bounds.length > 0) throw new Rejection('explicit bounds without bucket counts');
    counts = [total];
  } else {
    if (raw.length !== bounds.length + 1) throw new Rejection(`${raw.length} bucket counts for ${bounds.length} bounds (expected ${bounds.length + 1})`);
    counts = new Array(raw.length);
    let sum = 0;
    for (let i = 0; i < raw.length; i++) sum += counts[i] = count(raw[i], 'bucket count');
    if (sum !== total) throw new Rejection(`bucket counts add up to ${sum}, count is ${total}`);
  }
  const out: Histogram = { buckets: { boundaries: bounds, counts }, count: total };
  const sum = optionalDouble(p, 'sum');
  const min = optionalDouble(p, 'min');
  const max = optionalDouble(p, 'max');
  if (sum !== undefined) out.sum = sum;
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  return out;
}

function buckets(b: any, what: string): { offset: number; bucketCounts: number[] } {
  const offset = b?.offset ?? 0;
  if (!Number.isInteger(offset)) throw new Rejection(`${what} offset is not an integer`);
  return { offset, bucketCounts: Array.from(b?.bucketCounts ?? [], (c: unknown) => count(c, `${what} bucket count`)) };
}

function exponentialHistogram(p: any): ExponentialHistogram {
  const scale = p.scale ?? 0;
  if (!Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) throw new Rejection(`scale ${scale} outside [${MIN_SCALE}, ${MAX_SCALE}]`);
  const zeroThreshold = p.zeroThreshold ?? 0;
  if (zeroThreshold !== 0) throw new Rejection('a non-zero zero_threshold is not supported');
  const out: ExponentialHistogram = {
    count: count(p.count, 'count'),
    scale,
    zeroCount: count(p.zeroCount, 'zero count'),
    positive: buckets(p.positive, 'positive'),
    negative: buckets(p.negative, 'negative'),
  };
  let sum = out.zeroCount;
  for (const c of out.positive.bucketCounts) sum += c;
  for (const c of out.negative.bucketCounts) sum += c;
  if (sum !== out.count) throw new Rejection(`bucket counts add up to ${sum}, count is ${out.count}`);
  const total = optionalDouble(p, 'sum');
  const min = optionalDouble(p, 'min');
  const max = optionalDouble(p, 'max');
  if (total !== undefined) out.sum = total;
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  return out;
}

const METRIC_DATA_FIELDS = ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary'] as const;

// ---- the request ----------------------------------------------------------------------

export class Converter {
  private readonly _out: Converted = { resourceMetrics: [], accepted: 0, rejected: 0, skipped: 0, reasons: [] };
  private readonly _clock: Clock;
  private readonly _attributes = new AttributeCache();
  private readonly _bounds = new Bounds();

  constructor(now: HrTime) {
    this._clock = new Clock(now);
  }

  convert(request: any): Converted {
    for (const rm of request?.resourceMetrics ?? []) this._resourceMetrics(rm);
    return this._out;
  }

  private _reject(points: number, reason: string, where: string): void {
    this._out.rejected += points;
    if (this._out.reasons.length < MAX_REASONS) {
      const message = `${where}: ${reason}`;
      if (!this._out.reasons.includes(message)) this._out.reasons.push(message);
    }
  }

  private _resourceMetrics(rm: any): void {
    const scopes: ScopeMetrics[] = [];
    // Receivers SHOULD read the deprecated instrumentation_library_metrics when
    // scope_metrics is not set (metrics.proto, ResourceMetrics).
    const scopeList: any[] = rm?.scopeMetrics?.length > 0 ? rm.scopeMetrics : (rm?.instrumentationLibraryMetrics ?? []);
    for (const sm of scopeList) {
      const scope = sm.scope ?? sm.instrumentationLibrary ?? {};
      const metrics: MetricData[] = [];
      for (const m of sm.metrics ?? []) {
        const metric = this._metric(m);
        if (metric !== undefined) metrics.push(metric);
      }
      if (metrics.length === 0) continue;
      const out: ScopeMetrics['scope'] = { name: String(scope.name ?? '') };
      if (scope.version) out.version = String(scope.version);
      if (sm.schemaUrl) out.schemaUrl = String(sm.schemaUrl);
      scopes.push({ scope: out, metrics });
    }
    if (scopes.length === 0) return;
    const resource: { attributes: Attributes; schemaUrl?: string } = { attributes: this._attributes.get(rm.resource?.attributes) };
    if (rm.schemaUrl) resource.schemaUrl = String(rm.schemaUrl);
    this._out.resourceMetrics.push({ resource, scopeMetrics: scopes });
  }

  private _metric(m: any): MetricData | undefined {
    const kind = METRIC_DATA_FIELDS.find(f => has(m, f));
    const data = kind === undefined ? undefined : m[kind];
    const points: any[] = data?.dataPoints ?? [];
    const name = typeof m.name === 'string' ? m.name : '';
    const where = `metric ${JSON.stringify(name.slice(0, 64))}`;
    if (name === '') {
      this._reject(points.length, 'metric without a name', 'metric ""');
      return undefined;
    }
    if (points.length === 0) return undefined;
    let dataPointType: number;
    let aggregationTemporality: number = Temporality.CUMULATIVE;
    let type: string;
    let monotonic = false;
    try {
      switch (kind) {
        case 'gauge':
          dataPointType = DataPointType.GAUGE;
          type = 'GAUGE';
          break;
        case 'sum':
          dataPointType = DataPointType.SUM;
          aggregationTemporality = temporality(data.aggregationTemporality);
          monotonic = data.isMonotonic === true;
          type = monotonic ? 'COUNTER' : 'UP_DOWN_COUNTER';
          break;
        case 'histogram':
          dataPointType = DataPointType.HISTOGRAM;
          aggregationTemporality = temporality(data.aggregationTemporality);
          type = 'HISTOGRAM';
          break;
        case 'exponentialHistogram':
          dataPointType = DataPointType.EXPONENTIAL_HISTOGRAM;
          aggregationTemporality = temporality(data.aggregationTemporality);
          type = 'HISTOGRAM';
          break;
        default:
          throw new Rejection(`${kind === 'summary' ? 'Summary' : String(kind)} points are not supported`);
      }
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      this._reject(points.length, err.message, where);
      return undefined;
    }
    const dataPoints: DataPoint<any>[] = [];
    let ints = 0;
    for (const p of points) {
      try {
        if ((p.flags ?? 0) & NO_RECORDED_VALUE) {
          this._out.skipped++;
          continue;
        }
        let value: DataPoint<any>['value'];
        if (dataPointType === DataPointType.HISTOGRAM) value = histogram(p, this._bounds);
        else if (dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) value = exponentialHistogram(p);
        else {
          if (isDouble(p)) value = finite(p.asDouble, 'as_double');
          else if (has(p, 'asInt')) {
            value = int64(p.asInt);
            ints++;
          } else throw new Rejection('number data point without a value');
          if (monotonic && value < 0) throw new Rejection('negative value in a monotonic sum');
        }
        const endTime = this._clock.hrTime(p.timeUnixNano);
        const startTime = this._clock.hrTime(p.startTimeUnixNano);
        dataPoints.push({ startTime, endTime, attributes: this._attributes.get(p.attributes), value });
      } catch (err) {
        if (!(err instanceof Rejection)) throw err;
        this._reject(1, err.message, where);
      }
    }
    if (dataPoints.length === 0) return undefined;
    this._out.accepted += dataPoints.length;
    const valueType = ints === dataPoints.length && dataPointType !== DataPointType.HISTOGRAM ? ValueType.INT : ValueType.DOUBLE;
    const out: MetricData = {
      descriptor: { name, description: String(m.description ?? ''), unit: String(m.unit ?? ''), type, valueType },
      aggregationTemporality,
      dataPointType,
      dataPoints,
      ...(dataPointType === DataPointType.SUM ? { isMonotonic: monotonic } : {}),
    };
    return out;
  }
}
