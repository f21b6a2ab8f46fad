// Merging delta data points of one series: the sum of two adjacent intervals
// is one interval from the earlier start to the later end. Values are copied
// on the way in, so a held point never aliases an exporter's or the SDK's arrays.
import type { HrTime } from '@opentelemetry/api';
import type { ExponentialHistogram, Histogram } from '@fastmeter/sdk';

export type PointValue = number | Histogram | ExponentialHistogram;

export function earlier(a: HrTime, b: HrTime): HrTime {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]) ? a : b;
}

export function later(a: HrTime, b: HrTime): HrTime {
  return earlier(a, b) === a ? b : a;
}

export function copyHistogram(h: Histogram): Histogram {
  return { buckets: { boundaries: h.buckets.boundaries, counts: h.buckets.counts.slice() }, sum: h.sum, count: h.count, min: h.min, max: h.max };
}

export function copyExponential(h: ExponentialHistogram): ExponentialHistogram {
  return {
    count: h.count,
    sum: h.sum,
    scale: h.scale,
    zeroCount: h.zeroCount,
    positive: { offset: h.positive.offset, bucketCounts: h.positive.bucketCounts.slice() },
    negative: { offset: h.negative.offset, bucketCounts: h.negative.bucketCounts.slice() },
    min: h.min,
    max: h.max,
  };
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function sumOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

export function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Adds `b` into `a` (same boundaries, checked by the caller). */
export function mergeHistogram(a: Histogram, b: Histogram): void {
  const counts = a.buckets.counts;
  for (let i = 0; i < counts.length; i++) counts[i] += b.buckets.counts[i];
  a.count += b.count;
  a.sum = sumOf(a.sum, b.sum);
  a.min = minOf(a.min, b.min);
  a.max = maxOf(a.max, b.max);
}

interface Side {
  offset: number;
  bucketCounts: number[];
}

function hasBuckets(h: ExponentialHistogram): boolean {
  return h.positive.bucketCounts.length > 0 || h.negative.bucketCounts.length > 0;
}

/** [low, high] bucket index range of `side` at `scale` (a coarser scale maps index i to i >> shift). */
function range(side: Side, from: number, scale: number): [number, number] {
  const shift = from - scale;
  return [side.offset >> shift, (side.offset + side.bucketCounts.length - 1) >> shift];
}

/**
 * Adds `b` into `a` at the finest scale at which both fit in `maxSize` buckets
 * per sign (at least the larger of the two inputs' sizes, and 160, the default).
 */
export function mergeExponential(a: ExponentialHistogram, b: ExponentialHistogram): ExponentialHistogram {
  if (b.count === 0) return a;
  if (a.count === 0) return copyExponential(b);
  const maxSize = Math.max(160, a.positive.bucketCounts.length, a.negative.bucketCounts.length, b.positive.bucketCounts.length, b.negative.bucketCounts.length);
  // A histogram of zeros only has no buckets, and its scale means nothing.
  let scale = hasBuckets(a) ? (hasBuckets(b) ? Math.min(a.scale, b.scale) : a.scale) : b.scale;
  for (const sign of ['positive', 'negative'] as const) {
    const parts = nonEmpty(a[sign], a.scale, b[sign], b.scale);
    for (let [low, high] = span(parts, scale); parts.length > 0 && high - low >= maxSize; [low, high] = span(parts, scale)) scale--;
  }
  const out: ExponentialHistogram = {
    count: a.count + b.count,
    sum: sumOf(a.sum, b.sum),
    scale: hasBuckets(a) || hasBuckets(b) ? scale : 0,
    zeroCount: a.zeroCount + b.zeroCount,
    positive: combine(a.positive, a.scale, b.positive, b.scale, scale),
    negative: combine(a.negative, a.scale, b.negative, b.scale, scale),
    min: minOf(a.min, b.min),
    max: maxOf(a.max, b.max),
  };
  return out;
}

type Part = [Side, number];

function nonEmpty(a: Side, aScale: number, b: Side, bScale: number): Part[] {
  const parts: Part[] = [];
  if (a.bucketCounts.length > 0) parts.push([a, aScale]);
  if (b.bucketCounts.length > 0) parts.push([b, bScale]);
  return parts;
}

/** [low, high] bucket index range of all `parts` at `scale`. */
function span(parts: readonly Part[], scale: number): [number, number] {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const [side, from] of parts) {
    const [l, h] = range(side, from, scale);
    low = Math.min(low, l);
    high = Math.max(high, h);
  }
  return [low, high];
}

function combine(a: Side, aScale: number, b: Side, bScale: number, scale: number): Side {
  const parts = nonEmpty(a, aScale, b, bScale);
  if (parts.length === 0) return { offset: 0, bucketCounts: [] };
  const [low, high] = span(parts, scale);
  const counts = new Array<number>(high - low + 1).fill(0);
  for (const [side, from] of parts) {
    const shift = from - scale;
    for (let i = 0; i < side.bucketCounts.length; i++) counts[((side.offset + i) >> shift) - low] += side.bucketCounts[i];
  }
  return { offset: low, bucketCounts: counts };
}
