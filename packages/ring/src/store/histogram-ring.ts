// The points of one histogram series (explicit buckets or base-2 exponential):
// per point, columns for time, cumulative count, sum and zero count, the
// point's min/max as received, a reset flag, and its bucket deltas — the
// increase of each bucket since the previous point, only the buckets that
// changed — as a varint record in a byte buffer:
//
//   record = nPos, (zigzag index gap, count)×nPos [, nNeg, (gap, count)×nNeg]
//
// A reset point (a count went down: the producer restarted) records absolute
// values instead. `base` is the cumulative state at the oldest point, `last`
// at the newest; any point's cumulative state follows from either end.
//
// Records are appended at the end of the buffer; when it is full the live
// records are compacted to its start, and it doubles (up to `maxBytes`) while
// the live part uses more than half of it. At `maxBytes` the oldest points
// give way: memory is bounded, retention shrinks (counted in `evicted`).
// Exponential series keep one storage scale: a point at a finer scale is merged
// down to it, a coarser point rescales every stored record once.
import { Counts } from './counts.js';
import { ByteReader, ByteWriter } from './varint.js';

const RESET = 1;

const writer = new ByteWriter();
const reader = new ByteReader();

/** A point handed to append(): cumulative (or delta) counts already split into sides. */
export class HistInput {
  count = 0;
  sum = Number.NaN;
  min = Number.NaN;
  max = Number.NaN;
  zero = 0;
  zeroThreshold = 0;
  scale = 0;
  readonly pos = new Counts();
  readonly neg = new Counts();

  clear(): void {
    this.count = 0;
    this.sum = Number.NaN;
    this.min = Number.NaN;
    this.max = Number.NaN;
    this.zero = 0;
    this.zeroThreshold = 0;
    this.scale = 0;
    this.pos.clear();
    this.neg.clear();
  }
}

export class HistogramRing {
  scale = 0;
  zeroThreshold = 0;
  readonly t: Uint32Array;
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly zero: Float64Array | null;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly flags: Uint8Array;
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  head = 0;
  n = 0;
  bytes: Uint8Array;
  wpos = 0;
  readonly base = new HistInput();
  readonly last = new HistInput();
  /** Relative time of the newest reset point (-1: none held). */
  resetT = -1;
  /** Points dropped before the ring was full, for lack of byte space. */
  evicted = 0;

  constructor(
    readonly slots: number,
    readonly exponential: boolean,
    /** Explicit bucket bounds (unused for exponential). */
    readonly boundaries: Float64Array,
    readonly maxBytes: number,
  ) {
    this.t = new Uint32Array(slots);
    this.count = new Float64Array(slots);
    this.sum = new Float64Array(slots);
    this.zero = exponential ? new Float64Array(slots) : null;
    this.min = new Float64Array(slots);
    this.max = new Float64Array(slots);
    this.flags = new Uint8Array(slots);
    this.off = new Uint32Array(slots);
    this.len = new Uint32Array(slots);
    this.bytes = new Uint8Array(Math.min(maxBytes, Math.max(256, slots * 8)));
  }

  /** Physical slot of logical index i (0 = oldest). */
  slot(i: number): number {
    const S = this.slots;
    const p = this.head - this.n + i;
    return p < 0 ? p + S : p >= S ? p - S : p;
  }

  lastTime(): number {
    return this.n === 0 ? -1 : this.t[this.slot(this.n - 1)];
  }

  firstTime(): number {
    return this.n === 0 ? -1 : this.t[this.slot(0)];
  }

  /** Logical index of the first point with t > time. */
  after(time: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[this.slot(mid)] > time) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Appends a cumulative point (`delta` false) or a delta point. `p` is
   * normalised in place to the storage scale. Returns false when the point
   * cannot be stored (larger than maxBytes on its own).
   */
  append(t: number, p: HistInput, delta: boolean): boolean {
    if (this.exponential) this._normaliseScale(p);
    const last = this.last;
    let reset = this.n === 0;
    if (!delta && !reset) {
      reset = p.count < last.count || p.zero < last.zero || decreased(p.pos, last.pos) || decreased(p.neg, last.neg);
    }
    writer.reset();
    if (delta) {
      last.count += p.count;
      last.zero += p.zero;
      last.sum = addSum(last.sum, p.sum);
      last.pos.addAll(p.pos);
      last.neg.addAll(p.neg);
      // The first point held records the whole cumulative state.
      const record = reset ? last : p;
      writeSide(writer, record.pos, null);
      if (this.exponential) writeSide(writer, record.neg, null);
    } else {
      writeSide(writer, p.pos, reset ? null : last.pos);
      if (this.exponential) writeSide(writer, p.neg, reset ? null : last.neg);
      last.count = p.count;
      last.zero = p.zero;
      last.sum = p.sum;
      last.pos.copyFrom(p.pos);
      last.neg.copyFrom(p.neg);
    }
    last.min = p.min;
    last.max = p.max;
    this.zeroThreshold = p.zeroThreshold;
    if (!this._room(writer.pos)) return false;
    if (this.n === this.slots) this._dropOldest();
    const s = this.head;
    this.bytes.set(writer.buf.subarray(0, writer.pos), this.wpos);
    this.off[s] = this.wpos;
    this.len[s] = writer.pos;
    this.wpos += writer.pos;
    this.t[s] = t;
    this.count[s] = last.count;
    this.sum[s] = last.sum;
    if (this.zero !== null) this.zero[s] = last.zero;
    this.min[s] = p.min;
    this.max[s] = p.max;
    this.flags[s] = reset ? RESET : 0;
    if (reset && this.n > 0) this.resetT = t;
    this.head = s + 1 === this.slots ? 0 : s + 1;
    this.n++;
    if (this.n === 1) this._setBase(0);
    return true;
  }

  /** Makes room for `size` more bytes at wpos: compact, grow or evict. */
  private _room(size: number): boolean {
    if (this.wpos + size <= this.bytes.length) return true;
    for (;;) {
      const live = this._liveBytes();
      if (live + size <= this.bytes.length / 2 || (this.bytes.length >= this.maxBytes && live + size <= this.bytes.length)) {
        this._compact(this.bytes);
        return true;
      }
      if (this.bytes.length < this.maxBytes) {
        const next = new Uint8Array(Math.min(this.maxBytes, Math.max(this.bytes.length * 2, (live + size) * 2)));
        this._compact(next);
        this.bytes = next;
        if (this.wpos + size <= this.bytes.length) return true;
        continue;
      }
      if (this.n === 0) return false;
      this._dropOldest();
      this.evicted++;
    }
  }

  private _liveBytes(): number {
    let b = 0;
    for (let i = 0; i < this.n; i++) b += this.len[this.slot(i)];
    return b;
  }

  /** Copies the live records, oldest first, to the start of `into`. */
  private _compact(into: Uint8Array): void {
    const src = this.bytes;
    const copy = into === src ? src.slice(0, this.wpos) : src;
    let w = 0;
    for (let i = 0; i < this.n; i++) {
      const s = this.slot(i);
      into.set(copy.subarray(this.off[s], this.off[s] + this.len[s]), w);
      this.off[s] = w;
      w += this.len[s];
    }
    this.wpos = w;
  }

  private _dropOldest(): void {
    this.n--;
    if (this.n > 0) this._setBase(0);
    if (this.n === 0) this.wpos = 0;
  }

  /** base := the cumulative state at logical index i, given base at i - 1 (or i is a reset). */
  private _setBase(i: number): void {
    const s = this.slot(i);
    const b = this.base;
    if (this.flags[s] & RESET) {
      b.pos.clear();
      b.neg.clear();
    }
    this._applyRecord(s, b, 1);
    b.count = this.count[s];
    b.sum = this.sum[s];
    b.zero = this.zero === null ? 0 : this.zero[s];
  }

  /** Adds the record of slot `s` (times `sign`) into `into`. */
  applyRecord(s: number, into: HistInput, sign: number): void {
    this._applyRecord(s, into, sign);
  }

  private _applyRecord(s: number, into: HistInput, sign: number): void {
    reader.buf = this.bytes;
    reader.pos = this.off[s];
    readSide(reader, into.pos, sign);
    if (this.exponential) readSide(reader, into.neg, sign);
  }

  isReset(i: number): boolean {
    return (this.flags[this.slot(i)] & RESET) !== 0;
  }

  /**
   * The cumulative bucket state at logical index i, into `out`: from the newest
   * point backwards when no reset lies after i, else forwards from the oldest.
   */
  cumulativeAt(i: number, out: HistInput): void {
    const s = this.slot(i);
    out.pos.clear();
    out.neg.clear();
    // Backwards from `last` is valid when no reset lies after i; take the shorter walk.
    const backward = this.resetT <= this.t[s];
    if (backward && this.n - 1 - i <= i) {
      out.pos.copyFrom(this.last.pos);
      out.neg.copyFrom(this.last.neg);
      for (let j = this.n - 1; j > i; j--) this._applyRecord(this.slot(j), out, -1);
    } else {
      out.pos.copyFrom(this.base.pos);
      out.neg.copyFrom(this.base.neg);
      for (let j = 1; j <= i; j++) {
        const sj = this.slot(j);
        if (this.flags[sj] & RESET) {
          out.pos.clear();
          out.neg.clear();
        }
        this._applyRecord(sj, out, 1);
      }
    }
    out.count = this.count[s];
    out.sum = this.sum[s];
    out.zero = this.zero === null ? 0 : this.zero[s];
    out.min = this.min[s];
    out.max = this.max[s];
    out.scale = this.scale;
    out.zeroThreshold = this.zeroThreshold;
  }

  private _normaliseScale(p: HistInput): void {
    if (this.n === 0 && this.last.count === 0) {
      this.scale = p.scale;
      return;
    }
    if (p.scale > this.scale) {
      const d = p.scale - this.scale;
      p.pos.downscale(d);
      p.neg.downscale(d);
      p.scale = this.scale;
    } else if (p.scale < this.scale) {
      this._rescale(this.scale - p.scale);
      this.scale = p.scale;
    }
  }

  /** Rewrites every stored record, base and last at a scale `d` steps coarser. */
  private _rescale(d: number): void {
    const tmp = new HistInput();
    const next = new Uint8Array(this.bytes.length);
    let w = 0;
    for (let i = 0; i < this.n; i++) {
      const s = this.slot(i);
      tmp.pos.clear();
      tmp.neg.clear();
      this._applyRecord(s, tmp, 1);
      tmp.pos.downscale(d);
      tmp.neg.downscale(d);
      writer.reset();
      writeSide(writer, tmp.pos, null);
      writeSide(writer, tmp.neg, null);
      // Merging buckets never lengthens a record.
      next.set(writer.buf.subarray(0, writer.pos), w);
      this.off[s] = w;
      this.len[s] = writer.pos;
      w += writer.pos;
    }
    this.bytes = next;
    this.wpos = w;
    this.base.pos.downscale(d);
    this.base.neg.downscale(d);
    this.last.pos.downscale(d);
    this.last.neg.downscale(d);
  }

  /** Subtracts `shift` from every time; points that would go below 0 are dropped. */
  rebase(shift: number): void {
    while (this.n > 0 && this.t[this.slot(0)] < shift) this._dropOldest();
    for (let i = 0; i < this.n; i++) this.t[this.slot(i)] -= shift;
    this.resetT = this.resetT >= shift ? this.resetT - shift : -1;
  }

  bytesHeld(): number {
    return (
      this.bytes.length +
      this.slots * (4 + 8 + 8 + 8 + 8 + 1 + 4 + 4 + (this.zero === null ? 0 : 8)) +
      (this.base.pos.c.length + this.last.pos.c.length) * 8 * 2
    );
  }
}

function addSum(a: number, b: number): number {
  if (a !== a) return b;
  if (b !== b) return a;
  return a + b;
}

function decreased(now: Counts, before: Counts): boolean {
  for (let i = 0; i < before.n; i++) {
    const v = before.c[i];
    if (v !== 0 && now.get(before.offset + i) < v) return true;
  }
  return false;
}

/** Writes the non-zero entries of `now` (minus `before` when given). */
function writeSide(w: ByteWriter, now: Counts, before: Counts | null): void {
  let entries = 0;
  for (let i = 0; i < now.n; i++) {
    const d = before === null ? now.c[i] : now.c[i] - before.get(now.offset + i);
    if (d !== 0) entries++;
  }
  w.uint(entries);
  let prev = 0;
  for (let i = 0; i < now.n; i++) {
    const idx = now.offset + i;
    const d = before === null ? now.c[i] : now.c[i] - before.get(idx);
    if (d === 0) continue;
    w.int(idx - prev);
    w.count(d);
    prev = idx;
  }
}

function readSide(r: ByteReader, into: Counts, sign: number): void {
  const entries = r.uint();
  let idx = 0;
  for (let k = 0; k < entries; k++) {
    idx += r.int();
    into.add(idx, sign * r.count());
  }
}
