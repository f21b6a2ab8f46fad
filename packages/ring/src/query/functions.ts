// The range-vector functions, as Prometheus computes them (promql/functions.go).

import type { PointBuffer, WindowSummary } from '../store/scalar-store.js';

/**
 * rate / increase / delta of a window (Prometheus' extrapolatedRate): the
 * difference between the first and last point (counter resets added back),
 * extrapolated to the window's edges when the first/last point lies within
 * 1.1 average gaps of them (else by half a gap), never below a counter's zero
 * point. Needs two points. Times in ms.
 */
export function extrapolatedRate(
  w: WindowSummary,
  rangeStart: number,
  rangeEnd: number,
  isCounter: boolean,
  isRate: boolean,
  firstValue = w.v0,
  rawIncrease = w.v1 - w.v0 + (isCounter ? w.resetCorrection : 0),
): number | undefined {
  if (w.n < 2) return undefined;
  let result = rawIncrease;
  let durationToStart = (w.t0 - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - w.t1) / 1000;
  const sampled = (w.t1 - w.t0) / 1000;
  const avgGap = sampled / (w.n - 1);
  if (isCounter && result > 0 && firstValue >= 0) {
    const durationToZero = sampled * (firstValue / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = avgGap * 1.1;
  let interval = sampled;
  interval += durationToStart < threshold ? durationToStart : avgGap / 2;
  interval += durationToEnd < threshold ? durationToEnd : avgGap / 2;
  result *= interval / sampled;
  if (isRate) result /= (rangeEnd - rangeStart) / 1000;
  return result;
}

/** The factor extrapolatedRate applies to a histogram's raw increase (native histograms: no zero-point rule). */
export function extrapolationFactor(n: number, t0: number, t1: number, rangeStart: number, rangeEnd: number, isRate: boolean): number {
  const durationToStart = (t0 - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - t1) / 1000;
  const sampled = (t1 - t0) / 1000;
  const avgGap = sampled / (n - 1);
  const threshold = avgGap * 1.1;
  let interval = sampled;
  interval += durationToStart < threshold ? durationToStart : avgGap / 2;
  interval += durationToEnd < threshold ? durationToEnd : avgGap / 2;
  let f = interval / sampled;
  if (isRate) f /= (rangeEnd - rangeStart) / 1000;
  return f;
}

/** irate / idelta: from the last two points. */
export function instantValue(b: PointBuffer, isRate: boolean): number | undefined {
  if (b.n < 2) return undefined;
  const last = b.v[b.n - 1];
  const prev = b.v[b.n - 2];
  let result = isRate && last < prev ? last : last - prev;
  if (!isRate) return result;
  const dt = (b.t[b.n - 1] - b.t[b.n - 2]) / 1000;
  if (dt === 0) return undefined;
  result /= dt;
  return result;
}

export type OverTime = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'last' | 'stddev' | 'stdvar' | 'changes' | 'resets' | 'present';

/** The *_over_time reductions (sums and means with Kahan compensation, as Prometheus does). */
export function overTime(fn: OverTime, b: PointBuffer): number | undefined {
  const n = b.n;
  if (n === 0) return undefined;
  const v = b.v;
  switch (fn) {
    case 'count':
      return n;
    case 'present':
      return 1;
    case 'last':
      return v[n - 1];
    case 'min': {
      let m = v[0];
      for (let i = 1; i < n; i++) if (v[i] < m || m !== m) m = v[i];
      return m;
    }
    case 'max': {
      let m = v[0];
      for (let i = 1; i < n; i++) if (v[i] > m || m !== m) m = v[i];
      return m;
    }
    case 'sum':
      return kahanSum(v, n);
    case 'avg':
      return kahanSum(v, n) / n;
    case 'stddev':
    case 'stdvar': {
      // Welford's running variance (population), as Prometheus' stdvar_over_time.
      let count = 0;
      let mean = 0;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        count++;
        const d = v[i] - mean;
        mean += d / count;
        m2 += d * (v[i] - mean);
      }
      const variance = m2 / count;
      return fn === 'stdvar' ? variance : Math.sqrt(variance);
    }
    case 'changes': {
      let c = 0;
      for (let i = 1; i < n; i++) if (v[i] !== v[i - 1] && !(v[i] !== v[i] && v[i - 1] !== v[i - 1])) c++;
      return c;
    }
    case 'resets': {
      let c = 0;
      for (let i = 1; i < n; i++) if (v[i] < v[i - 1]) c++;
      return c;
    }
  }
}

function kahanSum(v: Float64Array, n: number): number {
  let sum = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    const t = sum + x;
    if (Math.abs(sum) >= Math.abs(x)) c += sum - t + x;
    else c += x - t + sum;
    sum = t;
  }
  return sum + c;
}

/** Prometheus' quantile (quantile_over_time, the quantile aggregation): linear between closest ranks. */
export function quantileOf(q: number, values: ArrayLike<number>, n: number): number {
  if (n === 0 || q !== q) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = Array.from({ length: n }, (_, i) => values[i]).sort((a, b) => a - b);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lower] * (1 - weight) + sorted[upper] * weight;
}
