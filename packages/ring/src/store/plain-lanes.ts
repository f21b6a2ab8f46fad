// The plain layout: one fixed ring of `slots` points per lane, columnar.
//
//   page p (64 lanes)   t: Uint32Array(64 × S)   ms since the store epoch
//                       v: Float64Array(64 × S)
//   lane k = 64p + j    points at [j·S, j·S + S), a ring:
//
//        oldest            head (next write)
//          ▼                 ▼
//   ... | p3 | p4 | p5 | p6 | p0 | p1 | p2 |      len = 7 of S = 7 (full)
//
// 12 bytes per point; 1.6 ns per append (next-anchors.md §A: a raw typed-array
// ring). Pages are allocated on first use and reused through a free list, so the
// memory is bounded by the lanes the caller allows (series × slots × 12 B).
import { type PointBuffer, type ScalarStore, WindowSummary } from './scalar-store.js';

const PAGE_SHIFT = 6;
const PAGE_LANES = 1 << PAGE_SHIFT;

export class PlainLanes implements ScalarStore {
  private readonly _t: Uint32Array[] = [];
  private readonly _v: Float64Array[] = [];
  private _head = new Int32Array(0);
  private _len = new Int32Array(0);
  /** Relative time of the newest point whose value is below its predecessor's (-1: none held). */
  private _drop = new Float64Array(0);
  private readonly _free: number[] = [];
  private _lanes = 0;
  private _points = 0;

  constructor(readonly slots: number) {}

  allocate(): number {
    const lane = this._free.pop() ?? this._lanes++;
    if (lane >>> PAGE_SHIFT >= this._t.length) this._grow();
    this._head[lane] = 0;
    this._len[lane] = 0;
    this._drop[lane] = -1;
    return lane;
  }

  free(lane: number): void {
    this._points -= this._len[lane];
    this._len[lane] = 0;
    this._free.push(lane);
  }

  private _grow(): void {
    const S = this.slots;
    this._t.push(new Uint32Array(PAGE_LANES * S));
    this._v.push(new Float64Array(PAGE_LANES * S));
    const n = this._t.length * PAGE_LANES;
    const head = new Int32Array(n);
    head.set(this._head);
    this._head = head;
    const len = new Int32Array(n);
    len.set(this._len);
    this._len = len;
    const drop = new Float64Array(n);
    drop.set(this._drop);
    this._drop = drop;
  }

  append(lane: number, t: number, v: number): void {
    const S = this.slots;
    const page = lane >>> PAGE_SHIFT;
    const base = (lane & (PAGE_LANES - 1)) * S;
    const head = this._head[lane];
    const len = this._len[lane];
    const vs = this._v[page];
    if (len > 0 && v < vs[base + (head === 0 ? S - 1 : head - 1)]) this._drop[lane] = t;
    this._t[page][base + head] = t;
    vs[base + head] = v;
    this._head[lane] = head + 1 === S ? 0 : head + 1;
    if (len < S) {
      this._len[lane] = len + 1;
      this._points++;
    }
  }

  replaceLast(lane: number, v: number): void {
    const S = this.slots;
    const head = this._head[lane];
    const base = (lane & (PAGE_LANES - 1)) * S;
    const vs = this._v[lane >>> PAGE_SHIFT];
    const i = head === 0 ? S - 1 : head - 1;
    if (this._len[lane] > 1 && v < vs[base + (i === 0 ? S - 1 : i - 1)]) this._drop[lane] = this._t[lane >>> PAGE_SHIFT][base + i];
    vs[base + i] = v;
  }

  size(lane: number): number {
    return this._len[lane];
  }

  /** Physical slot of the logical index i (0 = oldest). */
  private _slot(lane: number, i: number): number {
    const S = this.slots;
    const p = this._head[lane] - this._len[lane] + i;
    return (lane & (PAGE_LANES - 1)) * S + (p < 0 ? p + S : p >= S ? p - S : p);
  }

  lastTime(lane: number): number {
    const n = this._len[lane];
    return n === 0 ? -1 : this._t[lane >>> PAGE_SHIFT][this._slot(lane, n - 1)];
  }

  lastValue(lane: number): number {
    const n = this._len[lane];
    return n === 0 ? Number.NaN : this._v[lane >>> PAGE_SHIFT][this._slot(lane, n - 1)];
  }

  firstTime(lane: number): number {
    return this._len[lane] === 0 ? -1 : this._t[lane >>> PAGE_SHIFT][this._slot(lane, 0)];
  }

  /** Logical index of the first point with t > time (len when none). */
  private _after(lane: number, time: number): number {
    const ts = this._t[lane >>> PAGE_SHIFT];
    let lo = 0;
    let hi = this._len[lane];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[this._slot(lane, mid)] > time) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  read(lane: number, start: number, end: number, epoch: number, out: PointBuffer): number {
    const i0 = this._after(lane, start);
    const i1 = this._after(lane, end);
    const n = i1 - i0;
    out.reserve(n);
    out.n = n;
    if (n <= 0) {
      out.n = 0;
      return 0;
    }
    const page = lane >>> PAGE_SHIFT;
    const ts = this._t[page];
    const vs = this._v[page];
    for (let k = 0; k < n; k++) {
      const s = this._slot(lane, i0 + k);
      out.t[k] = ts[s] + epoch;
      out.v[k] = vs[s];
    }
    return n;
  }

  at(lane: number, end: number, out: { t: number; v: number }): boolean {
    const i = this._after(lane, end) - 1;
    if (i < 0) return false;
    const s = this._slot(lane, i);
    const page = lane >>> PAGE_SHIFT;
    out.t = this._t[page][s];
    out.v = this._v[page][s];
    return true;
  }

  summarize(lane: number, start: number, end: number, out: WindowSummary): void {
    const i0 = this._after(lane, start);
    const i1 = this._after(lane, end) - 1;
    out.n = i1 - i0 + 1;
    out.resetCorrection = 0;
    if (out.n <= 0) {
      out.n = 0;
      return;
    }
    const page = lane >>> PAGE_SHIFT;
    const ts = this._t[page];
    const vs = this._v[page];
    const s0 = this._slot(lane, i0);
    const s1 = this._slot(lane, i1);
    out.t0 = ts[s0];
    out.v0 = vs[s0];
    out.t1 = ts[s1];
    out.v1 = vs[s1];
    // The newest drop is at or before the first point: no reset inside the window.
    if (this._drop[lane] <= out.t0) return;
    let last = out.v0;
    let correction = 0;
    for (let i = i0 + 1; i <= i1; i++) {
      const v = vs[this._slot(lane, i)];
      if (v < last) correction += last;
      last = v;
    }
    out.resetCorrection = correction;
  }

  rebase(shift: number): void {
    for (let lane = 0; lane < this._lanes; lane++) {
      let len = this._len[lane];
      if (len === 0) continue;
      const ts = this._t[lane >>> PAGE_SHIFT];
      // Points older than the new epoch leave from the oldest end.
      while (len > 0 && ts[this._slot(lane, 0)] < shift) {
        this._len[lane] = --len;
        this._points--;
      }
      for (let i = 0; i < len; i++) ts[this._slot(lane, i)] -= shift;
      this._drop[lane] = this._drop[lane] >= shift ? this._drop[lane] - shift : -1;
    }
  }

  bytes(): number {
    return this._t.length * PAGE_LANES * this.slots * 12 + this._head.length * 16;
  }

  usedBytes(): number {
    return this._points * 12;
  }

  points(): number {
    return this._points;
  }
}

export { WindowSummary };
