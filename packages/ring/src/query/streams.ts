// What a selector resolves to: streams, each a series seen through a view. A
// scalar series has one view (its values). A histogram series is selected as a
// whole (`x`, or Prometheus' `x_bucket`), or through its count or sum columns
// (`x_count`, `x_sum`), which behave as counters.
import type { RingStore } from '../store/ring-store.js';
import type { Series } from '../store/model.js';
import { HistInput } from '../store/histogram-ring.js';
import { type PointBuffer, WindowSummary } from '../store/scalar-store.js';
import { Counts } from '../store/counts.js';
import { HistValue } from './hist-value.js';

export type View = 'value' | 'hist' | 'count' | 'sum';

export class Stream {
  constructor(
    readonly series: Series,
    readonly view: View,
    /** The name the selector used (kept on samples of plain selectors). */
    readonly name: string,
  ) {}

  get scalar(): boolean {
    return this.view !== 'hist';
  }
}

const scratch = new HistInput();
const scratch2 = new HistInput();

/** Reads the scalar points of `stream` with start < t <= end (absolute ms) into `out`. */
export function readStream(store: RingStore, s: Stream, start: number, end: number, out: PointBuffer): number {
  const rs = start - store.epoch;
  const re = end - store.epoch;
  if (s.view === 'value') return store.scalars.read(s.series.lane, rs, re, store.epoch, out);
  const h = s.series.hist;
  out.n = 0;
  if (h === null) return 0;
  const i0 = h.after(rs);
  const i1 = h.after(re);
  out.reserve(i1 - i0);
  const col = s.view === 'count' ? h.count : h.sum;
  let k = 0;
  for (let i = i0; i < i1; i++) {
    const slot = h.slot(i);
    out.t[k] = h.t[slot] + store.epoch;
    out.v[k] = col[slot];
    k++;
  }
  out.n = k;
  return k;
}

/** First/last/count/reset correction of a scalar stream's window; absolute times. */
export function summarizeStream(store: RingStore, s: Stream, start: number, end: number, out: WindowSummary, buf: PointBuffer): void {
  if (s.view === 'value') {
    store.scalars.summarize(s.series.lane, start - store.epoch, end - store.epoch, out);
    out.t0 += store.epoch;
    out.t1 += store.epoch;
    return;
  }
  const n = readStream(store, s, start, end, buf);
  out.n = n;
  out.resetCorrection = 0;
  if (n === 0) return;
  out.t0 = buf.t[0];
  out.v0 = buf.v[0];
  out.t1 = buf.t[n - 1];
  out.v1 = buf.v[n - 1];
  let last = buf.v[0];
  for (let i = 1; i < n; i++) {
    if (buf.v[i] < last) out.resetCorrection += last;
    last = buf.v[i];
  }
}

/** The latest point of a scalar stream with end - lookback < t <= end; false when none. */
export function latestScalar(store: RingStore, s: Stream, end: number, lookback: number, out: { t: number; v: number }): boolean {
  const re = end - store.epoch;
  if (s.view === 'value') {
    if (!store.scalars.at(s.series.lane, re, out)) return false;
  } else {
    const h = s.series.hist;
    if (h === null) return false;
    const i = h.after(re) - 1;
    if (i < 0) return false;
    const slot = h.slot(i);
    out.t = h.t[slot];
    out.v = s.view === 'count' ? h.count[slot] : h.sum[slot];
  }
  out.t += store.epoch;
  return out.t > end - lookback;
}

/** The cumulative histogram at the latest point with end - lookback < t <= end. */
export function latestHistogram(store: RingStore, s: Stream, end: number, lookback: number): HistValue | undefined {
  const h = s.series.hist;
  if (h === null) return undefined;
  const i = h.after(end - store.epoch) - 1;
  if (i < 0 || h.t[h.slot(i)] + store.epoch <= end - lookback) return undefined;
  h.cumulativeAt(i, scratch);
  return toValue(h.exponential, h.boundaries, scratch, scratch.count, scratch.sum);
}

/** The cumulative histogram at logical index i of a series' ring. */
export function histogramAt(s: Series, i: number): HistValue {
  const h = s.hist as NonNullable<Series['hist']>;
  h.cumulativeAt(i, scratch);
  return toValue(h.exponential, h.boundaries, scratch, scratch.count, scratch.sum);
}

function toValue(exponential: boolean, bounds: Float64Array, c: HistInput, count: number, sum: number): HistValue {
  if (exponential) {
    const pos = new Counts();
    pos.copyFrom(c.pos);
    const neg = new Counts();
    neg.copyFrom(c.neg);
    return HistValue.exponentialOf(c.scale, c.zero, c.zeroThreshold, pos, neg, count, sum === sum ? sum : 0);
  }
  const le = new Float64Array(bounds.length + 1);
  let acc = 0;
  for (let i = 0; i < le.length; i++) {
    acc += c.pos.get(i);
    le[i] = acc;
  }
  return HistValue.explicit(bounds, le, count, sum === sum ? sum : 0);
}

/** The raw increase of a histogram over (start, end]: first/last points, the increase and the state at the first point. */
export interface HistWindow {
  n: number;
  t0: number;
  t1: number;
  /** Cumulative state at the first point in the window. */
  first: HistValue;
  /** Increase from the first to the last point, counter resets added back. */
  increase: HistValue;
}

export function histogramWindow(store: RingStore, s: Stream, start: number, end: number): HistWindow | undefined {
  const h = s.series.hist;
  if (h === null) return undefined;
  const i0 = h.after(start - store.epoch);
  const i1 = h.after(end - store.epoch) - 1;
  const n = i1 - i0 + 1;
  if (n < 2) return undefined;
  // cumulative at the first and last points; their difference is the increase when no reset lies between.
  h.cumulativeAt(i0, scratch);
  const first = toValue(h.exponential, h.boundaries, scratch, scratch.count, scratch.sum);
  let noReset = h.resetT <= h.t[h.slot(i0)];
  if (!noReset) {
    noReset = true;
    for (let i = i0 + 1; i <= i1 && noReset; i++) if (h.isReset(i)) noReset = false;
  }
  let increase: HistValue;
  if (noReset && !h.exponential) {
    // Explicit buckets: the le-cumulative increase straight from the two states (no intermediate values).
    h.cumulativeAt(i1, scratch2);
    const firstLe = first.le as Float64Array;
    const le = new Float64Array(firstLe.length);
    let acc = 0;
    for (let k = 0; k < le.length; k++) {
      acc += scratch2.pos.get(k);
      le[k] = acc - firstLe[k];
    }
    const sum = (scratch2.sum === scratch2.sum ? scratch2.sum : 0) - first.sum;
    increase = HistValue.explicit(h.boundaries, le, scratch2.count - first.count, sum);
  } else if (noReset) {
    h.cumulativeAt(i1, scratch2);
    const last = toValue(h.exponential, h.boundaries, scratch2, scratch2.count, scratch2.sum);
    increase = subtract(last, first);
  } else {
    // Sum the per-point records: a reset point records its absolute value (Prometheus adds it back).
    scratch2.clear();
    let count = 0;
    let sum = 0;
    for (let i = i0 + 1; i <= i1; i++) {
      const slot = h.slot(i);
      h.applyRecord(slot, scratch2, 1);
      const prev = h.slot(i - 1);
      if (h.isReset(i)) {
        count += h.count[slot];
        sum += h.sum[slot];
        scratch2.zero += h.zero === null ? 0 : h.zero[slot];
      } else {
        count += h.count[slot] - h.count[prev];
        sum += h.sum[slot] - h.sum[prev];
        scratch2.zero += h.zero === null ? 0 : h.zero[slot] - h.zero[prev];
      }
    }
    scratch2.scale = h.scale;
    scratch2.zeroThreshold = h.zeroThreshold;
    increase = toValue(h.exponential, h.boundaries, scratch2, count, sum);
  }
  return { n, t0: h.t[h.slot(i0)] + store.epoch, t1: h.t[h.slot(i1)] + store.epoch, first, increase };
}

function subtract(a: HistValue, b: HistValue): HistValue {
  const out = a.clone();
  out.count -= b.count;
  out.sum -= b.sum;
  if (out.le !== null) {
    const ble = b.le as Float64Array;
    for (let i = 0; i < out.le.length; i++) out.le[i] -= ble[i];
  } else {
    out.zeroCount -= b.zeroCount;
    out.pos?.addAll(b.pos as Counts, -1);
    out.neg?.addAll(b.neg as Counts, -1);
  }
  return out;
}

export { WindowSummary };
