// Per-bucket rates of a histogram metric over a step grid: the heatmap's data.
// The ring answers quantiles itself (histogram_quantile); a heatmap needs every
// bucket, so it is computed here from the ring's raw cumulative snapshots
// (`ring.read`): at each step the latest snapshot of every series, the increase
// of each bucket since the previous step (a reset, i.e. a decrease, counts from
// zero as in Prometheus' rate), summed over the series, per second.

export interface HistogramSnapshotLike {
  count: number;
  buckets?: { boundaries: number[]; counts: number[] };
  scale?: number;
  zeroCount?: number;
  positive?: { offset: number; bucketCounts: number[] };
  negative?: { offset: number; bucketCounts: number[] };
}

export interface RawHistogramSeries {
  times: number[];
  histograms?: HistogramSnapshotLike[];
}

export interface BucketSeries {
  /** The bucket's upper bound ('+Inf' for the last explicit bucket). */
  le: string;
  timestamps: number[];
  values: number[];
}

/** Bucket upper bound → cumulative count in this snapshot (not le-cumulative: each bucket its own count). */
function bucketsOf(h: HistogramSnapshotLike, out: Map<string, number>): void {
  if (h.buckets) {
    const { boundaries, counts } = h.buckets;
    for (let i = 0; i < counts.length; i++) {
      const le = i < boundaries.length ? String(boundaries[i]) : '+Inf';
      out.set(le, (out.get(le) ?? 0) + counts[i]);
    }
    return;
  }
  const scale = h.scale ?? 0;
  const base = 2 ** (2 ** -scale);
  if (h.zeroCount) out.set('0', (out.get('0') ?? 0) + h.zeroCount);
  const pos = h.positive;
  if (pos) {
    for (let i = 0; i < pos.bucketCounts.length; i++) {
      const le = String(Number((base ** (pos.offset + i + 1)).toPrecision(6)));
      out.set(le, (out.get(le) ?? 0) + pos.bucketCounts[i]);
    }
  }
  const neg = h.negative;
  if (neg) {
    for (let i = 0; i < neg.bucketCounts.length; i++) {
      const le = String(-Number((base ** (neg.offset + i)).toPrecision(6)));
      out.set(le, (out.get(le) ?? 0) + neg.bucketCounts[i]);
    }
  }
}

/** The latest snapshot at or before t (times ascending), by binary search. */
function at(series: RawHistogramSeries, t: number): HistogramSnapshotLike | undefined {
  let lo = 0;
  let hi = series.times.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (series.times[mid] <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? undefined : series.histograms?.[found];
}

/** Rates per bucket at start, start + step, ..., ≤ end; summed over the given series. */
export function bucketRates(raw: RawHistogramSeries[], start: number, end: number, step: number): BucketSeries[] {
  const n = Math.floor((end - start) / step) + 1;
  const rates = new Map<string, number[]>();
  for (const s of raw) {
    let previous: Map<string, number> | undefined;
    for (let k = -1; k < n; k++) {
      const snapshot = at(s, start + k * step);
      const current = new Map<string, number>();
      if (snapshot !== undefined) bucketsOf(snapshot, current);
      if (k >= 0 && previous !== undefined && snapshot !== undefined) {
        for (const [le, c] of current) {
          const before = previous.get(le) ?? 0;
          const increase = c >= before ? c - before : c;
          let row = rates.get(le);
          if (row === undefined) rates.set(le, (row = new Array(n).fill(0)));
          row[k] += increase / (step / 1000);
        }
      }
      previous = snapshot === undefined ? undefined : current;
    }
  }
  const timestamps = Array.from({ length: n }, (_, k) => start + k * step);
  const order = (le: string) => (le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));
  return [...rates.entries()].sort((a, b) => order(a[0]) - order(b[0])).map(([le, values]) => ({ le, timestamps, values }));
}
