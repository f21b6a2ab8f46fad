// Normalisation of a CollectionResult into plain data that two SDKs must
// produce identically, and a differ that says where they do not.
//
// What is normalised, and why it is allowed to differ:
//  - scopeMetrics are sorted by scope (name, version, schemaUrl): sdk-metrics
//    pushes them as each meter's asynchronous collection finishes;
//  - data points are sorted by their attributes (keys sorted): neither SDK
//    promises an order within a metric;
//  - the resource is compared by its attributes;
//  - errors are compared by count and message (sorted);
//  - double sums (Sum values, histogram sums) compare with a relative tolerance
//    of 1e-12: fastmeter adds values straight into the cumulative sum while
//    sdk-metrics sums each interval and then adds the intervals (DIFFERENCES.md);
//  - exponential histograms at different scales compare at the coarser one,
//    provided fastmeter's is the finer (sdk-metrics' interval merges may pick a
//    coarser scale than the buckets need; DIFFERENCES.md);
//  - 0 and -0 are equal: a histogram's min or max may keep either sign of zero
//    when both were recorded (DIFFERENCES.md), and JSON exporters drop the sign.
// Everything else is compared exactly, including which keys are present
// (`sum: undefined` on a histogram is not the same as no `sum` key), the full
// runtime descriptor (name, type, description, unit, valueType, advice),
// timestamps, and the order of metrics within a scope.
import { type CollectionResult, TimeoutError } from '@opentelemetry/sdk-metrics';

export const SUM_TOLERANCE = 1e-12;

/** A double sum: equal within SUM_TOLERANCE (relative). */
export class Approx {
  constructor(readonly value: number) {}
}

export interface NormalisedCollection {
  resource: unknown;
  scopes: unknown[];
  errors: string[];
}

const DATA_POINT_TYPE_SUM = 3;

export function normaliseCollection(result: CollectionResult): NormalisedCollection {
  const { resourceMetrics, errors } = result;
  const scopes = resourceMetrics.scopeMetrics.map(sm => ({
    scope: plain(sm.scope),
    metrics: sm.metrics.map(normaliseMetric),
  }));
  scopes.sort((a, b) => compareStrings(scopeKey(a.scope), scopeKey(b.scope)));
  return {
    resource: plain(resourceMetrics.resource.attributes),
    scopes,
    errors: errors.map(errorMessage).sort(),
  };
}

function scopeKey(scope: unknown): string {
  const s = scope as { name: string; version?: string; schemaUrl?: string };
  return JSON.stringify([s.name, s.version ?? null, s.schemaUrl ?? null]);
}

/** An error as code written against sdk-metrics sees it: `instanceof` its TimeoutError, `name`, message. */
function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error instanceof TimeoutError ? '(instanceof sdk-metrics TimeoutError) ' : ''}${error.name}: ${error.message}`;
  return String(error);
}

function normaliseMetric(metric: unknown): unknown {
  const m = metric as Record<string, unknown> & { dataPointType: number; dataPoints: Record<string, unknown>[] };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(m).sort()) {
    if (key === 'dataPoints') continue;
    out[key] = plain(m[key]);
  }
  const points = m.dataPoints.map(p => normalisePoint(p, m.dataPointType === DATA_POINT_TYPE_SUM));
  points.sort((a, b) => compareStrings(a.key, b.key));
  out.dataPoints = points.map(p => p.point);
  return out;
}

function normalisePoint(point: Record<string, unknown>, isSum: boolean): { key: string; point: unknown } {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(point).sort()) {
    if (key === 'attributes') out.attributes = canonicalAttributes(point.attributes as Record<string, unknown>);
    else if (key === 'value') out.value = normaliseValue(point.value, isSum);
    else out[key] = plain(point[key]);
  }
  return { key: attributesKey(point.attributes as Record<string, unknown>), point: out };
}

function normaliseValue(value: unknown, isSum: boolean): unknown {
  if (typeof value === 'number') return isSum ? new Approx(value) : value;
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v).sort()) {
    out[key] = key === 'sum' && typeof v.sum === 'number' ? new Approx(v.sum) : plain(v[key]);
  }
  return out;
}

/** The attributes with keys sorted (a copy: sdk-metrics exports the caller's own object). */
export function canonicalAttributes(attributes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(attributes).sort()) out[key] = plain(attributes[key]);
  return out;
}

/** A sort key for a data point: its attributes, keys sorted, types kept apart. */
export function attributesKey(attributes: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map(k => [k, typeTag(attributes[k])]),
  );
}

function typeTag(value: unknown): unknown {
  if (Array.isArray(value)) return ['array', ...value.map(typeTag)];
  return [typeof value, value === undefined ? null : value];
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A deep copy into plain objects and arrays (own enumerable keys, undefined values kept). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = plain((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Every difference between `a` (sdk-metrics) and `b` (fastmeter), as "path: sdk-metrics X, fastmeter Y". */
export function describeDifferences(a: unknown, b: unknown, path = ''): string[] {
  const out: string[] = [];
  diff(a, b, path, out);
  return out;
}

function show(value: unknown): string {
  if (value instanceof Approx) return show(value.value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  try {
    const s = JSON.stringify(value, (_k, v) => (v instanceof Approx ? v.value : v === undefined ? '<undefined>' : v));
    return s.length > 300 ? `${s.slice(0, 300)}...` : s;
  } catch {
    return String(value);
  }
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length > 50) return;
  if (a instanceof Approx && b instanceof Approx) {
    if (!approxEqual(a.value, b.value)) out.push(`${path}: sdk-metrics ${show(a)}, fastmeter ${show(b)}`);
    return;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || a instanceof Approx || b instanceof Approx) {
    if (!sameValue(a, b)) out.push(`${path}: sdk-metrics ${show(a)}, fastmeter ${show(b)}`);
    return;
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    out.push(`${path}: sdk-metrics ${show(a)}, fastmeter ${show(b)}`);
    return;
  }
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) {
      out.push(`${path}: length ${a.length} vs ${bb.length}: sdk-metrics ${show(a)}, fastmeter ${show(bb)}`);
      return;
    }
    for (let i = 0; i < a.length; i++) diff(a[i], bb[i], `${path}[${i}]`, out);
    return;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  if (isExponential(ao) && isExponential(bo) && ao.scale !== bo.scale) {
    compareExponential(ao, bo, path, out);
    return;
  }
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const key of keys) {
    const p = child(path, key);
    if (!(key in ao)) out.push(`${p}: missing in sdk-metrics, fastmeter has ${show(bo[key])}`);
    else if (!(key in bo)) out.push(`${p}: missing in fastmeter, sdk-metrics has ${show(ao[key])}`);
    else diff(ao[key], bo[key], p, out);
  }
}

interface ExponentialValue {
  scale: number;
  positive: { offset: number; bucketCounts: number[] };
  negative: { offset: number; bucketCounts: number[] };
}

function isExponential(v: Record<string, unknown>): v is Record<string, unknown> & ExponentialValue {
  return typeof v.scale === 'number' && typeof v.zeroCount === 'number' && typeof v.positive === 'object' && typeof v.negative === 'object';
}

/**
 * Exponential histograms at different scales: sdk-metrics sometimes merges
 * intervals into a coarser scale than the buckets need (DIFFERENCES.md). They
 * are equal if fastmeter's scale is the finer one and both have the same
 * buckets once fastmeter's are merged down to sdk-metrics' scale.
 */
function compareExponential(
  sdk: Record<string, unknown> & ExponentialValue,
  fast: Record<string, unknown> & ExponentialValue,
  path: string,
  out: string[],
): void {
  if (fast.scale < sdk.scale) {
    out.push(`${child(path, 'scale')}: fastmeter's ${fast.scale} is coarser than sdk-metrics' ${sdk.scale}`);
    return;
  }
  const downscaled = {
    ...fast,
    scale: sdk.scale,
    positive: downscale(fast.positive, fast.scale - sdk.scale),
    negative: downscale(fast.negative, fast.scale - sdk.scale),
  };
  diff(sdk, downscaled, `${path}(at scale ${sdk.scale})`, out);
}

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Buckets at a scale `by` lower: index i becomes i >> by. */
export function downscale(buckets: { offset: number; bucketCounts: number[] }, by: number): { offset: number; bucketCounts: number[] } {
  if (buckets.bucketCounts.length === 0) return { offset: buckets.offset >> by, bucketCounts: [] };
  const offset = buckets.offset >> by;
  const end = (buckets.offset + buckets.bucketCounts.length - 1) >> by;
  const counts = new Array<number>(end - offset + 1).fill(0);
  buckets.bucketCounts.forEach((c, i) => {
    counts[((buckets.offset + i) >> by) - offset] += c;
  });
  return { offset, bucketCounts: counts };
}

/** Object.is, except that 0 and -0 are equal (see the header). */
function sameValue(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (a === 0 && b === 0);
}

export function approxEqual(x: number, y: number): boolean {
  if (sameValue(x, y)) return true;
  const scale = Math.max(Math.abs(x), Math.abs(y));
  return Math.abs(x - y) <= SUM_TOLERANCE * scale;
}
