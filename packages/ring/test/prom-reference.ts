// Reference implementations of the PromQL functions the ring implements, written
// from the Prometheus sources' description (promql/functions.go, quantile.go) over
// plain arrays, independently of the ring's code. Range selection is left-open,
// (t - range, t], as in Prometheus 3.
export interface Sample {
  t: number;
  v: number;
}

export function window(samples: Sample[], start: number, end: number): Sample[] {
  return samples.filter(s => s.t > start && s.t <= end);
}

export function extrapolatedRate(samples: Sample[], start: number, end: number, isCounter: boolean, isRate: boolean): number | undefined {
  if (samples.length < 2) return undefined;
  const first = samples[0];
  const last = samples[samples.length - 1];
  let result = last.v - first.v;
  if (isCounter) {
    let prev = 0;
    for (const s of samples) {
      if (s.v < prev) result += prev;
      prev = s.v;
    }
  }
  let toStart = (first.t - start) / 1000;
  const toEnd = (end - last.t) / 1000;
  const sampled = (last.t - first.t) / 1000;
  const avg = sampled / (samples.length - 1);
  if (isCounter && result > 0 && first.v >= 0) {
    const toZero = sampled * (first.v / result);
    if (toZero < toStart) toStart = toZero;
  }
  let interval = sampled;
  interval += toStart < avg * 1.1 ? toStart : avg / 2;
  interval += toEnd < avg * 1.1 ? toEnd : avg / 2;
  result = result * (interval / sampled);
  return isRate ? result / ((end - start) / 1000) : result;
}

/** Classic histogram_quantile over (upper bound, cumulative count) pairs, +Inf last. */
export function bucketQuantile(q: number, buckets: { le: number; count: number }[]): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const b = buckets.map(x => ({ ...x })).sort((x, y) => x.le - y.le);
  if (b[b.length - 1].le !== Infinity) return NaN;
  let max = -Infinity;
  for (const x of b) {
    if (x.count > max) max = x.count;
    else x.count = max;
  }
  if (b.length < 2) return NaN;
  const total = b[b.length - 1].count;
  if (total === 0) return NaN;
  let rank = q * total;
  let i = b.findIndex((x, k) => k < b.length - 1 && x.count >= rank);
  if (i < 0) i = b.length - 1;
  if (i === b.length - 1) return b[b.length - 2].le;
  if (i === 0 && b[0].le <= 0) return b[0].le;
  let start = 0;
  let count = b[i].count;
  if (i > 0) {
    start = b[i - 1].le;
    count -= b[i - 1].count;
    rank -= b[i - 1].count;
  }
  return start + (b[i].le - start) * (rank / count);
}
