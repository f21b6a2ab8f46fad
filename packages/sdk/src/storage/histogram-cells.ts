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
    /** True for instrument kinds whose values may be negative: no sum is exported. */
    readonly omitSum: boolean,
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
      sum: this.omitSum ? undefined : this.sum[sid],
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

/** Records one value into series `sid` (off the unbound hot path: bound handles, observables, several streams). */
export function histogramWrite(cells: HistogramCells, sid: number, value: number): void {
  cells.counts[sid * cells.stride + bucketIndex(cells.bounds, value)] += 1;
  cells.count[sid] += 1;
  cells.sum[sid] += value;
  if (cells.recordMinMax) {
    if (value < cells.min[sid]) cells.min[sid] = value;
    if (value > cells.max[sid]) cells.max[sid] = value;
  }
}

/**
 * Index of the first bound >= value (bounds are inclusive upper limits), or
 * bounds.length if there is none. Branch-free halving: the comparison result
 * feeds a conditional move, not a jump, so unpredictable values cost no
 * mispredictions (measured 4.5 ns vs 5.8 ns for the branchy search over the 15
 * default bounds, Node 20).
 */
export function bucketIndex(bounds: Float64Array, value: number): number {
  let lo = 0;
  let n = bounds.length;
  while (n > 1) {
    const half = n >>> 1;
    lo = bounds[lo + half - 1] < value ? lo + half : lo;
    n -= half;
  }
  return n === 1 && bounds[lo] < value ? lo + 1 : lo;
}
