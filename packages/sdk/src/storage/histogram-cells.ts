import type { Histogram } from '../common/types.js';
import { type Cells, INITIAL_CAPACITY, nextCapacity } from './cells.js';

/**
 * Explicit-bucket histograms. Bucket counts of series `sid` live at
 * counts[sid * stride .. sid * stride + boundaries.length]; bucket i counts
 * values in (boundaries[i-1], boundaries[i]], the last one values above every bound.
 */
export class HistogramCells implements Cells {
  readonly bounds: Float64Array;
  readonly stride: number;
  counts: Float64Array;
  count = new Float64Array(INITIAL_CAPACITY);
  sum = new Float64Array(INITIAL_CAPACITY);
  min = new Float64Array(INITIAL_CAPACITY).fill(Number.POSITIVE_INFINITY);
  max = new Float64Array(INITIAL_CAPACITY).fill(Number.NEGATIVE_INFINITY);

  constructor(
    /** Exported as is: every point shares this array, as in sdk-metrics. */
    readonly boundaries: number[],
    readonly recordMinMax: boolean,
    private readonly _omitSum: boolean,
  ) {
    this.bounds = Float64Array.from(boundaries);
    this.stride = boundaries.length + 1;
    this.counts = new Float64Array(INITIAL_CAPACITY * this.stride);
  }

  grow(n: number): void {
    const old = this.count.length;
    if (n <= old) return;
    const cap = nextCapacity(old, n);
    const counts = new Float64Array(cap * this.stride);
    counts.set(this.counts);
    this.counts = counts;
    this.count = grown(this.count, cap, 0);
    this.sum = grown(this.sum, cap, 0);
    this.min = grown(this.min, cap, Number.POSITIVE_INFINITY);
    this.max = grown(this.max, cap, Number.NEGATIVE_INFINITY);
  }

  clear(sid: number): void {
    this.counts.fill(0, sid * this.stride, (sid + 1) * this.stride);
    this.count[sid] = 0;
    this.sum[sid] = 0;
    this.min[sid] = Number.POSITIVE_INFINITY;
    this.max[sid] = Number.NEGATIVE_INFINITY;
  }

  mergeFrom(src: Cells, sid: number): boolean {
    const from = src as HistogramCells;
    const base = sid * this.stride;
    for (let i = base; i < base + this.stride; i++) this.counts[i] += from.counts[i];
    this.count[sid] += from.count[sid];
    this.sum[sid] += from.sum[sid];
    if (from.min[sid] < this.min[sid]) this.min[sid] = from.min[sid];
    if (from.max[sid] > this.max[sid]) this.max[sid] = from.max[sid];
    return false;
  }

  value(sid: number): Histogram {
    const base = sid * this.stride;
    const counts = new Array<number>(this.stride);
    for (let i = 0; i < this.stride; i++) counts[i] = this.counts[base + i];
    const hasMinMax = this.recordMinMax && this.count[sid] > 0;
    return {
      min: hasMinMax ? this.min[sid] : undefined,
      max: hasMinMax ? this.max[sid] : undefined,
      sum: this._omitSum ? undefined : this.sum[sid],
      buckets: { boundaries: this.boundaries, counts },
      count: this.count[sid],
    };
  }
}

function grown(array: Float64Array, cap: number, fill: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(cap);
  next.set(array);
  if (fill !== 0) next.fill(fill, array.length);
  return next;
}

/** Index of the first bound >= value (bounds are inclusive upper limits); bounds.length if none. */
export function bucketIndex(bounds: Float64Array, value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
