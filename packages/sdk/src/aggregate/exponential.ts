// One series of a base-2 exponential histogram. Starts at MAX_SCALE and
// halves its resolution (scale - 1 merges bucket pairs) whenever the indices in
// use on either side would span `maxSize` buckets or more.
import { MAX_SCALE, mapToIndex } from './exponential-mapping.js';

/** The buckets of one sign: counts for indices [start, end], stored from `offset`. */
class Buckets {
  counts: Float64Array | null = null;
  offset = 0;
  start = 0;
  end = -1;

  get empty(): boolean {
    return this.end < this.start;
  }

  at(index: number): number {
    return (this.counts as Float64Array)[index - this.offset];
  }

  add(index: number, count: number, maxSize: number): void {
    if (this.empty) {
      this.start = this.end = index;
      if (this.counts === null) this.counts = new Float64Array(Math.min(8, maxSize));
      this.offset = index;
      this.counts.fill(0);
    } else if (index < this.start) {
      this.start = index;
    } else if (index > this.end) {
      this.end = index;
    }
    const counts = this.counts as Float64Array;
    if (index < this.offset || index >= this.offset + counts.length) this._relayout(index < this.offset, maxSize);
    (this.counts as Float64Array)[index - this.offset] += count;
  }

  /** Re-bases the array so that [start, end] fits, growing by powers of two up to maxSize. */
  private _relayout(growingDown: boolean, maxSize: number): void {
    const old = this.counts as Float64Array;
    const need = this.end - this.start + 1;
    let cap = old.length;
    while (cap < need) cap *= 2;
    cap = Math.min(cap, Math.max(maxSize, need));
    const next = new Float64Array(cap);
    const offset = growingDown ? this.end - cap + 1 : this.start;
    const from = Math.max(this.offset, this.start);
    const to = Math.min(this.offset + old.length - 1, this.end);
    for (let i = from; i <= to; i++) next[i - offset] = old[i - this.offset];
    this.counts = next;
    this.offset = offset;
  }

  /** Merges bucket pairs `by` times: index i becomes i >> by. */
  downscale(by: number): void {
    if (this.empty || by === 0) {
      this.start >>= by;
      this.end >>= by;
      return;
    }
    const old = this.counts as Float64Array;
    const start = this.start >> by;
    const end = this.end >> by;
    const next = new Float64Array(old.length);
    for (let i = this.start; i <= this.end; i++) next[(i >> by) - start] += old[i - this.offset];
    this.counts = next;
    this.offset = start;
    this.start = start;
    this.end = end;
  }

  reset(): void {
    this.start = 0;
    this.end = -1;
    this.offset = 0;
  }

  toArray(): number[] {
    if (this.empty) return [];
    const out = new Array<number>(this.end - this.start + 1);
    for (let i = this.start; i <= this.end; i++) out[i - this.start] = this.at(i);
    return out;
  }
}

/** How many halvings make [low, high] span fewer than maxSize buckets. */
function scaleChange(low: number, high: number, maxSize: number): number {
  let change = 0;
  while (high - low >= maxSize) {
    high >>= 1;
    low >>= 1;
    change++;
  }
  return change;
}

export class ExponentialState {
  scale = MAX_SCALE;
  count = 0;
  zeroCount = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly positive = new Buckets();
  readonly negative = new Buckets();

  readonly maxSize: number;

  constructor(maxSize: number) {
    // Validated when the view is built (exponentialMaxSize); clamped again so that no caller can
    // make the rescaling loops spin (NaN never compares) or the bucket arrays grow without bound.
    this.maxSize = maxSize >= 2 ? Math.min(Math.floor(maxSize), 16_384) : 2;
  }

  record(value: number): void {
    this.addValue(value, 1);
  }

  addValue(value: number, increment: number): void {
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
    this.count += increment;
    if (value === 0) {
      this.zeroCount += increment;
      return;
    }
    this.sum += value * increment;
    if (value > 0) this._addMagnitude(this.positive, value, increment);
    else this._addMagnitude(this.negative, -value, increment);
  }

  private _addMagnitude(buckets: Buckets, magnitude: number, increment: number): void {
    let index = mapToIndex(magnitude, this.scale);
    if (!buckets.empty) {
      let low = buckets.start;
      let high = buckets.end;
      if (index < low && high - index >= this.maxSize) low = index;
      else if (index > high && index - low >= this.maxSize) high = index;
      if (low !== buckets.start || high !== buckets.end) {
        this._downscale(scaleChange(low, high, this.maxSize));
        index = mapToIndex(magnitude, this.scale);
      }
    }
    buckets.add(index, increment, this.maxSize);
  }

  private _downscale(change: number): void {
    if (change <= 0) return;
    this.positive.downscale(change);
    this.negative.downscale(change);
    this.scale -= change;
  }

  /** Scale as exported: 0 when only zeros were recorded, as sdk-metrics reports. */
  get exportedScale(): number {
    return this.count === this.zeroCount ? 0 : this.scale;
  }

  /** Adds `other` into this histogram at the finest scale that fits both. */
  merge(other: ExponentialState): void {
    if (other.count === 0) return;
    if (this.count === 0) {
      this.min = other.min;
      this.max = other.max;
    } else {
      if (other.min < this.min) this.min = other.min;
      if (other.max > this.max) this.max = other.max;
    }
    this.sum += other.sum;
    this.count += other.count;
    this.zeroCount += other.zeroCount;
    const target = Math.min(this._fitScale(this.positive, other.positive, other), this._fitScale(this.negative, other.negative, other));
    this._downscale(this.scale - target);
    this._mergeBuckets(this.positive, other.positive, other.scale - target);
    this._mergeBuckets(this.negative, other.negative, other.scale - target);
  }

  private _fitScale(ours: Buckets, theirs: Buckets, other: ExponentialState): number {
    const scale = Math.min(this.scale, other.scale);
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    if (!ours.empty) {
      low = ours.start >> (this.scale - scale);
      high = ours.end >> (this.scale - scale);
    }
    if (!theirs.empty) {
      low = Math.min(low, theirs.start >> (other.scale - scale));
      high = Math.max(high, theirs.end >> (other.scale - scale));
    }
    if (low > high) return scale;
    return scale - scaleChange(low, high, this.maxSize);
  }

  private _mergeBuckets(ours: Buckets, theirs: Buckets, shift: number): void {
    if (theirs.empty) return;
    for (let i = theirs.start; i <= theirs.end; i++) {
      const c = theirs.at(i);
      if (c !== 0) ours.add(i >> shift, c, this.maxSize);
    }
  }

  clear(): void {
    this.scale = MAX_SCALE;
    this.count = 0;
    this.zeroCount = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.positive.reset();
    this.negative.reset();
  }

  positiveCounts(): number[] {
    return this.positive.toArray();
  }
  negativeCounts(): number[] {
    return this.negative.toArray();
  }
  positiveOffset(): number {
    return this.positive.empty ? 0 : this.positive.start;
  }
  negativeOffset(): number {
    return this.negative.empty ? 0 : this.negative.start;
  }
}
