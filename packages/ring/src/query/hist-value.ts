// Histogram-valued samples in queries, and histogram_quantile.
//
// Explicit-bucket histograms are handled as Prometheus handles the classic
// `_bucket{le=…}` series the standard exporter produces: `le` holds cumulative
// counts (bucket i counts every value <= bounds[i], the last is +Inf), each le
// series is rated on its own, and the quantile interpolates linearly inside the
// bucket (promql/quantile.go bucketQuantile). Exponential histograms are handled
// as Prometheus' native histograms: one rate for the whole histogram, and the
// quantile interpolates on a log scale inside exponential buckets, linearly in
// the zero bucket (promql/quantile.go histogramQuantile, Prometheus 2.48+).
import { Counts } from '../store/counts.js';

export class HistValue {
  count = 0;
  sum = 0;
  /** Explicit: upper bounds (finite), and le-cumulative counts (length bounds + 1, the last is +Inf). */
  bounds: Float64Array | null = null;
  le: Float64Array | null = null;
  /** Exponential. */
  scale = 0;
  zeroCount = 0;
  zeroThreshold = 0;
  pos: Counts | null = null;
  neg: Counts | null = null;

  get exponential(): boolean {
    return this.pos !== null;
  }

  static explicit(bounds: Float64Array, le: Float64Array, count: number, sum: number): HistValue {
    const h = new HistValue();
    h.bounds = bounds;
    h.le = le;
    h.count = count;
    h.sum = sum;
    return h;
  }

  static exponentialOf(scale: number, zeroCount: number, zeroThreshold: number, pos: Counts, neg: Counts, count: number, sum: number): HistValue {
    const h = new HistValue();
    h.scale = scale;
    h.zeroCount = zeroCount;
    h.zeroThreshold = zeroThreshold;
    h.pos = pos;
    h.neg = neg;
    h.count = count;
    h.sum = sum;
    return h;
  }

  clone(): HistValue {
    const h = new HistValue();
    h.count = this.count;
    h.sum = this.sum;
    h.bounds = this.bounds;
    h.le = this.le === null ? null : this.le.slice();
    h.scale = this.scale;
    h.zeroCount = this.zeroCount;
    h.zeroThreshold = this.zeroThreshold;
    if (this.pos !== null) {
      h.pos = new Counts();
      h.pos.copyFrom(this.pos);
    }
    if (this.neg !== null) {
      h.neg = new Counts();
      h.neg.copyFrom(this.neg);
    }
    return h;
  }

  /** Multiplies every count and the sum by `f` (rate = increase / seconds, h * 2, ...). */
  scaleBy(f: number): HistValue {
    this.count *= f;
    this.sum *= f;
    if (this.le !== null) for (let i = 0; i < this.le.length; i++) this.le[i] *= f;
    this.zeroCount *= f;
    if (this.pos !== null) for (let i = 0; i < this.pos.n; i++) this.pos.c[i] *= f;
    if (this.neg !== null) for (let i = 0; i < this.neg.n; i++) this.neg.c[i] *= f;
    return this;
  }

  /** Adds `o` into this; false when they cannot be added (explicit bounds differ, or explicit + exponential). */
  add(o: HistValue): boolean {
    if (this.exponential !== o.exponential) return false;
    if (!this.exponential) {
      const a = this.bounds as Float64Array;
      const b = o.bounds as Float64Array;
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      const le = this.le as Float64Array;
      const ole = o.le as Float64Array;
      for (let i = 0; i < le.length; i++) le[i] += ole[i];
    } else {
      let other = o;
      if (o.scale > this.scale) {
        other = o.clone();
        other.pos?.downscale(o.scale - this.scale);
        other.neg?.downscale(o.scale - this.scale);
      } else if (o.scale < this.scale) {
        this.pos?.downscale(this.scale - o.scale);
        this.neg?.downscale(this.scale - o.scale);
        this.scale = o.scale;
      }
      this.pos?.addAll(other.pos as Counts);
      this.neg?.addAll(other.neg as Counts);
      this.zeroCount += other.zeroCount;
      this.zeroThreshold = Math.max(this.zeroThreshold, other.zeroThreshold);
    }
    this.count += o.count;
    this.sum += o.sum;
    return true;
  }

  /** The q-quantile. Explicit buckets are made monotonic in place (values in queries are never shared). */
  quantile(q: number): number {
    return this.exponential ? nativeQuantile(q, this) : bucketQuantile(q, this.bounds as Float64Array, this.le as Float64Array);
  }

  /** The OTLP-shaped value: explicit { buckets: { boundaries, counts } } or exponential { scale, positive, negative, ... }. */
  toJSON(): HistogramSnapshot {
    if (!this.exponential) {
      const le = this.le as Float64Array;
      const counts: number[] = [];
      let prev = 0;
      for (let i = 0; i < le.length; i++) {
        counts.push(Math.max(0, le[i] - prev));
        prev = Math.max(prev, le[i]);
      }
      return { count: this.count, sum: this.sum, buckets: { boundaries: Array.from(this.bounds as Float64Array), counts } };
    }
    const side = (c: Counts) => ({ offset: c.n === 0 ? 0 : c.offset, bucketCounts: Array.from(c.c.subarray(0, c.n)) });
    return {
      count: this.count,
      sum: this.sum,
      scale: this.scale,
      zeroCount: this.zeroCount,
      zeroThreshold: this.zeroThreshold,
      positive: side(this.pos as Counts),
      negative: side(this.neg as Counts),
    };
  }
}

/** A histogram in a query result, in the shapes of sdk-metrics' Histogram / ExponentialHistogram values. */
export interface HistogramSnapshot {
  count: number;
  sum: number;
  /** Explicit buckets: `counts[i]` values fall in (boundaries[i-1], boundaries[i]]; the last is (last bound, +Inf). */
  buckets?: { boundaries: number[]; counts: number[] };
  scale?: number;
  zeroCount?: number;
  zeroThreshold?: number;
  positive?: { offset: number; bucketCounts: number[] };
  negative?: { offset: number; bucketCounts: number[] };
}

/**
 * Prometheus' classic quantile over le-cumulative buckets (`cum` is modified:
 * made monotonic). bounds are the finite upper bounds; cum has one more entry (+Inf).
 */
export function bucketQuantile(q: number, bounds: ArrayLike<number>, cum: Float64Array): number {
  if (q !== q) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const n = cum.length;
  if (n < 2) return Number.NaN;
  // ensureMonotonic: a bucket never counts fewer than the one below it.
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (cum[i] > max) max = cum[i];
    else if (cum[i] < max) cum[i] = max;
  }
  const observations = cum[n - 1];
  if (!(observations > 0)) return Number.NaN;
  let rank = q * observations;
  let b = 0;
  while (b < n - 1 && !(cum[b] >= rank)) b++;
  if (b === n - 1) return bounds[n - 2];
  if (b === 0 && bounds[0] <= 0) return bounds[0];
  let start = 0;
  const end = bounds[b];
  let count = cum[b];
  if (b > 0) {
    start = bounds[b - 1];
    count -= cum[b - 1];
    rank -= cum[b - 1];
  }
  return start + (end - start) * (rank / count);
}

/** Prometheus' native-histogram quantile over an exponential histogram. */
export function nativeQuantile(q: number, h: HistValue): number {
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (!(h.count > 0) || q !== q) return Number.NaN;
  const base = 2 ** (2 ** -h.scale);
  const pos = h.pos as Counts;
  const neg = h.neg as Counts;
  const rank = q * h.count;
  let count = 0;
  let lower = 0;
  let upper = 0;
  let bucketCount = 0;
  let found = false;
  const visit = (lo: number, up: number, c: number): boolean => {
    if (c === 0) return false;
    lower = lo;
    upper = up;
    bucketCount = c;
    count += c;
    return count >= rank;
  };
  // Ascending order: negative buckets from the largest magnitude, the zero bucket, positive buckets.
  for (let i = neg.n - 1; i >= 0 && !found; i--) {
    const idx = neg.offset + i;
    found = visit(-(base ** (idx + 1)), -(base ** idx), neg.c[i]);
  }
  if (!found) found = visit(-h.zeroThreshold, h.zeroThreshold, h.zeroCount);
  for (let i = 0; i < pos.n && !found; i++) {
    const idx = pos.offset + i;
    found = visit(base ** idx, base ** (idx + 1), pos.c[i]);
  }
  if (lower < 0 && upper > 0) {
    // In the zero bucket: a histogram with only positive (negative) buckets cannot go below (above) zero.
    const hasNeg = neg.total() > 0;
    const hasPos = pos.total() > 0;
    if (!hasNeg && hasPos) lower = 0;
    else if (!hasPos && hasNeg) upper = 0;
  }
  if (count > h.count) count = h.count;
  if (count < rank) return upper;
  const fraction = (rank - (count - bucketCount)) / bucketCount;
  if (lower <= 0 && upper >= 0) return lower + (upper - lower) * fraction;
  const logLower = Math.log2(Math.abs(lower));
  const logUpper = Math.log2(Math.abs(upper));
  if (lower > 0) return 2 ** (logLower + (logUpper - logLower) * fraction);
  return -(2 ** (logUpper + (logLower - logUpper) * (1 - fraction)));
}
