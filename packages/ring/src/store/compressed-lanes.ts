// The compressed layout: the newest points of a lane stay plain in a small hot
// block; when it fills, its points are appended to the lane's open chunk with
// the XOR codec (xor-codec.ts). A chunk closes at `chunkSlots` points; the
// oldest chunk is dropped once the lane holds `slots` points without it.
//
//   lane:  [chunk 0: sealed] [chunk 1: sealed] [chunk 2: open] [hot: plain ≤ H]
//            ▲ dropped when the rest holds ≥ slots points       ▲ appends land here
//
// Chunk bytes live in a shared arena (arena.ts); per chunk the lane keeps its
// handle, size class, bit length, point count and first/last time, so a query
// decodes only the chunks that overlap its window. The encoder state of the
// open chunk is kept per lane, so appending never re-reads old bits.
import { ChunkArena } from './arena.js';
import { BitReader, BitWriter } from './bits.js';
import { PointBuffer, type ScalarStore, WindowSummary } from './scalar-store.js';
import { XorState, decodePoint, encodePoint, stateValue } from './xor-codec.js';

const PAGE_LANES = 64;
const NO_BLOCK = 0xffffffff;
/** Points of room an open chunk's block gets each time it is (re)allocated. */
const GROW_POINTS = 8;

export class CompressedLanes implements ScalarStore {
  private readonly _k: number;
  private _cap = 0;
  private readonly _free: number[] = [];
  private _lanes = 0;
  private _points = 0;
  arena = new ChunkArena();
  private readonly _writer = new BitWriter(512);
  private readonly _reader = new BitReader();
  private readonly _state = new XorState();
  private readonly _scratch: PointBuffer;

  // Hot block, per lane: H points.
  private _hotT = new Uint32Array(0);
  private _hotV = new Float64Array(0);
  private _hotN = new Uint16Array(0);
  // Encoder state of the open chunk, per lane.
  private _sT = new Uint32Array(0);
  private _sDelta = new Uint32Array(0);
  private _sHi = new Uint32Array(0);
  private _sLo = new Uint32Array(0);
  private _sLead = new Uint8Array(0);
  private _sTrail = new Uint8Array(0);
  /** float | signed << 1 | runNeg << 2 (xor-codec.ts's integer/float mode state). */
  private _sMode = new Uint8Array(0);
  private _sWidth = new Uint8Array(0);
  private _sRun = new Uint8Array(0);
  private _sRunWidth = new Uint8Array(0);
  // Chunk ring, per lane: K entries.
  private _cHandle = new Uint32Array(0); // NO_BLOCK: no block yet
  private _cClass = new Uint16Array(0);
  private _cBits = new Uint32Array(0);
  private _cFirst = new Uint32Array(0);
  /** Points in the newest chunk (the others hold chunkSlots each). */
  private _newestN = new Uint16Array(0);
  private _cHead = new Uint8Array(0);
  private _cLen = new Uint8Array(0);
  private _total = new Int32Array(0);
  private _drop = new Float64Array(0);
  /** Bytes of the lane's last sealed chunk: the size an open chunk is given. */
  private _estimate = new Uint32Array(0);

  constructor(
    readonly slots: number,
    readonly hotSlots: number,
    readonly chunkSlots: number,
  ) {
    this._k = Math.ceil(slots / chunkSlots) + 2;
    if (this._k > 255) throw new RangeError('too many chunks per lane');
    this._scratch = new PointBuffer(slots + chunkSlots + hotSlots);
  }

  allocate(): number {
    const lane = this._free.pop() ?? this._lanes++;
    if (lane >= this._cap) this._grow();
    this._hotN[lane] = 0;
    this._cHead[lane] = 0;
    this._cLen[lane] = 0;
    this._total[lane] = 0;
    this._drop[lane] = -1;
    this._estimate[lane] = 0;
    return lane;
  }

  free(lane: number): void {
    while (this._cLen[lane] > 0) this._dropOldest(lane);
    this._points -= this._hotN[lane];
    this._hotN[lane] = 0;
    this._total[lane] = 0;
    this._free.push(lane);
  }

  private _grow(): void {
    const cap = this._cap + PAGE_LANES;
    const H = this.hotSlots;
    const K = this._k;
    const grow = <T extends { length: number; set(a: ArrayLike<number>): void }>(a: T, n: number, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a as unknown as ArrayLike<number>);
      return b;
    };
    this._hotT = grow(this._hotT, cap * H, n => new Uint32Array(n));
    this._hotV = grow(this._hotV, cap * H, n => new Float64Array(n));
    this._hotN = grow(this._hotN, cap, n => new Uint16Array(n));
    this._sT = grow(this._sT, cap, n => new Uint32Array(n));
    this._sDelta = grow(this._sDelta, cap, n => new Uint32Array(n));
    this._sHi = grow(this._sHi, cap, n => new Uint32Array(n));
    this._sLo = grow(this._sLo, cap, n => new Uint32Array(n));
    this._sLead = grow(this._sLead, cap, n => new Uint8Array(n));
    this._sTrail = grow(this._sTrail, cap, n => new Uint8Array(n));
    this._sMode = grow(this._sMode, cap, n => new Uint8Array(n));
    this._sWidth = grow(this._sWidth, cap, n => new Uint8Array(n));
    this._sRun = grow(this._sRun, cap, n => new Uint8Array(n));
    this._sRunWidth = grow(this._sRunWidth, cap, n => new Uint8Array(n));
    this._cHandle = grow(this._cHandle, cap * K, n => new Uint32Array(n));
    this._cClass = grow(this._cClass, cap * K, n => new Uint16Array(n));
    this._cBits = grow(this._cBits, cap * K, n => new Uint32Array(n));
    this._newestN = grow(this._newestN, cap, n => new Uint16Array(n));
    this._cFirst = grow(this._cFirst, cap * K, n => new Uint32Array(n));
    this._cHead = grow(this._cHead, cap, n => new Uint8Array(n));
    this._cLen = grow(this._cLen, cap, n => new Uint8Array(n));
    this._total = grow(this._total, cap, n => new Int32Array(n));
    this._drop = grow(this._drop, cap, n => new Float64Array(n));
    this._estimate = grow(this._estimate, cap, n => new Uint32Array(n));
    this._cap = cap;
  }

  /** Points in the lane's i-th chunk: all but the newest are full. */
  private _count(lane: number, i: number): number {
    return i === this._cLen[lane] - 1 ? this._newestN[lane] : this.chunkSlots;
  }

  /** Index into the chunk arrays of the lane's i-th chunk (0 = oldest). */
  private _chunk(lane: number, i: number): number {
    const K = this._k;
    let p = this._cHead[lane] - this._cLen[lane] + i;
    if (p < 0) p += K;
    else if (p >= K) p -= K;
    return lane * K + p;
  }

  append(lane: number, t: number, v: number): void {
    const H = this.hotSlots;
    let n = this._hotN[lane];
    if (this._total[lane] > 0 && v < this.lastValue(lane)) this._drop[lane] = t;
    if (n === H) {
      this._flush(lane);
      n = 0;
    }
    this._hotT[lane * H + n] = t;
    this._hotV[lane * H + n] = v;
    this._hotN[lane] = n + 1;
    this._total[lane]++;
    this._points++;
    this._retain(lane);
  }

  replaceLast(lane: number, v: number): void {
    const H = this.hotSlots;
    const n = this._hotN[lane];
    if (n === 0) return;
    // The point before the newest: in the hot block, or the last one encoded.
    let prev = Number.NaN;
    if (n > 1) prev = this._hotV[lane * H + n - 2];
    else if (this._cLen[lane] > 0) {
      this._state.hi = this._sHi[lane];
      this._state.lo = this._sLo[lane];
      prev = stateValue(this._state);
    }
    if (v < prev) this._drop[lane] = this._hotT[lane * H + n - 1];
    this._hotV[lane * H + n - 1] = v;
  }

  /** Encodes the hot block into the open chunk (opening new chunks as they fill). */
  private _flush(lane: number): void {
    const H = this.hotSlots;
    const P = this.chunkSlots;
    const n = this._hotN[lane];
    let i = 0;
    while (i < n) {
      let c: number;
      const open = this._cLen[lane] > 0 ? this._chunk(lane, this._cLen[lane] - 1) : -1;
      const s = this._state;
      if (open >= 0 && this._newestN[lane] < P) {
        c = open;
        const page = this.arena.page(this._cHandle[c]);
        const off = this.arena.offset(this._cHandle[c]);
        this._writer.reset(page.subarray(off, off + ((this._cBits[c] + 7) >>> 3)), this._cBits[c]);
        s.n = this._newestN[lane];
        s.t = this._sT[lane];
        s.delta = this._sDelta[lane];
        s.hi = this._sHi[lane];
        s.lo = this._sLo[lane];
        s.lead = this._sLead[lane];
        s.trail = this._sTrail[lane];
        const mode = this._sMode[lane];
        s.float = mode & 1;
        s.signed = (mode >>> 1) & 1;
        s.runNeg = mode >>> 2;
        s.width = this._sWidth[lane];
        s.run = this._sRun[lane];
        s.runWidth = this._sRunWidth[lane];
      } else {
        if (this._cLen[lane] === this._k) this._dropOldest(lane);
        this._cHead[lane] = (this._cHead[lane] + 1) % this._k;
        this._cLen[lane]++;
        c = this._chunk(lane, this._cLen[lane] - 1);
        this._cHandle[c] = NO_BLOCK;
        this._newestN[lane] = 0;
        this._cFirst[c] = this._hotT[lane * H + i];
        this._writer.reset(null, 0);
        s.n = 0;
      }
      const w = this._writer;
      while (i < n && s.n < P) {
        encodePoint(w, s, this._hotT[lane * H + i], this._hotV[lane * H + i]);
        i++;
      }
      // The open chunk's block has room for about GROW_POINTS more points (at the lane's rate of
      // bytes per point): appends write in place, and the block is replaced a few times per chunk.
      // A sealed chunk moves to a block of its exact size. Lanes move in step, so the sizes one lane
      // frees are the sizes the next asks for; compact() collects the rest.
      const size = (w.pos + 7) >>> 3;
      const sealed = s.n === P;
      const capacity = this._cHandle[c] !== NO_BLOCK ? this._cClass[c] * ChunkArena.GRAIN : 0;
      if (sealed || size > capacity) {
        if (this._cHandle[c] !== NO_BLOCK) this.arena.free(this._cHandle[c], this._cClass[c]);
        const perPoint = this._estimate[lane] > 0 ? this._estimate[lane] / P : size / s.n;
        const want = sealed ? size : size + Math.ceil(perPoint * GROW_POINTS);
        const handle = this.arena.alloc(want);
        this._cHandle[c] = handle;
        this._cClass[c] = this.arena.lastClass;
        if (sealed) this._estimate[lane] = size;
      }
      this.arena.page(this._cHandle[c]).set(w.buf.subarray(0, size), this.arena.offset(this._cHandle[c]));
      this._cBits[c] = w.pos;
      this._newestN[lane] = s.n;
      this._sT[lane] = s.t;
      this._sDelta[lane] = s.delta;
      this._sHi[lane] = s.hi;
      this._sLo[lane] = s.lo;
      this._sLead[lane] = s.lead;
      this._sTrail[lane] = s.trail;
      this._sMode[lane] = s.float | (s.signed << 1) | (s.runNeg << 2);
      this._sWidth[lane] = s.width;
      this._sRun[lane] = s.run;
      this._sRunWidth[lane] = s.runWidth;
    }
    this._hotN[lane] = 0;
    // Blocks freed in classes nobody asks for any more are garbage: copy the live chunks into a
    // fresh arena once it exceeds the live bytes by 2 % (plus a page): ~1 ms of copying per 3 MB.
    if (this.arena.bytes() > 1.02 * this.arena.used + ChunkArena.PAGE_SIZE) this.compact();
  }

  /** Copies every live chunk into a new, dense arena (a copying collector; O(live bytes)). */
  compact(): void {
    const next = new ChunkArena();
    const K = this._k;
    for (let lane = 0; lane < this._lanes; lane++) {
      for (let i = 0; i < this._cLen[lane]; i++) {
        const c = lane * K + ((this._cHead[lane] - this._cLen[lane] + i + K) % K);
        const h = this._cHandle[c];
        if (h === NO_BLOCK) continue;
        const size = (this._cBits[c] + 7) >>> 3;
        const nh = next.alloc(this._cClass[c] * ChunkArena.GRAIN);
        const off = this.arena.offset(h);
        next.page(nh).set(this.arena.page(h).subarray(off, off + size), next.offset(nh));
        this._cHandle[c] = nh;
        this._cClass[c] = next.lastClass;
      }
    }
    this.arena = next;
  }

  /** Drops whole chunks from the old end while the rest still holds `slots` points. */
  private _retain(lane: number): void {
    while (this._cLen[lane] > 0) {
      if (this._total[lane] - this._count(lane, 0) < this.slots) return;
      this._dropOldest(lane);
    }
  }

  private _dropOldest(lane: number): void {
    const c = this._chunk(lane, 0);
    const n = this._count(lane, 0);
    if (this._cHandle[c] !== NO_BLOCK) this.arena.free(this._cHandle[c], this._cClass[c]);
    this._total[lane] -= n;
    this._points -= n;
    this._cLen[lane]--;
  }

  size(lane: number): number {
    return this._total[lane];
  }

  lastTime(lane: number): number {
    const n = this._hotN[lane];
    if (n > 0) return this._hotT[lane * this.hotSlots + n - 1];
    // The newest chunk's last time is the encoder's.
    return this._cLen[lane] > 0 ? this._sT[lane] : -1;
  }

  lastValue(lane: number): number {
    const n = this._hotN[lane];
    if (n > 0) return this._hotV[lane * this.hotSlots + n - 1];
    if (this._cLen[lane] === 0) return Number.NaN;
    this._state.hi = this._sHi[lane];
    this._state.lo = this._sLo[lane];
    return stateValue(this._state);
  }

  firstTime(lane: number): number {
    if (this._cLen[lane] > 0) return this._cFirst[this._chunk(lane, 0)];
    return this._hotN[lane] > 0 ? this._hotT[lane * this.hotSlots] : -1;
  }

  read(lane: number, start: number, end: number, epoch: number, out: PointBuffer): number {
    out.reserve(this._total[lane]);
    let k = 0;
    const r = this._reader;
    const s = this._state;
    const len = this._cLen[lane];
    for (let i = 0; i < len; i++) {
      const c = this._chunk(lane, i);
      // A chunk ends before the next one's first point (the newest ends at the encoder's time).
      const last = i === len - 1 ? this._sT[lane] : this._cFirst[this._chunk(lane, i + 1)] - 1;
      if (last <= start) continue;
      if (this._cFirst[c] > end) break;
      r.reset(this.arena.page(this._cHandle[c]), this.arena.offset(this._cHandle[c]), this._cBits[c]);
      s.n = 0;
      s.t = this._cFirst[c];
      const count = this._count(lane, i);
      for (let j = 0; j < count; j++) {
        decodePoint(r, s);
        if (s.t <= start) continue;
        if (s.t > end) break;
        out.t[k] = s.t + epoch;
        out.v[k] = stateValue(s);
        k++;
      }
    }
    const H = this.hotSlots;
    for (let j = 0; j < this._hotN[lane]; j++) {
      const t = this._hotT[lane * H + j];
      if (t <= start) continue;
      if (t > end) break;
      out.t[k] = t + epoch;
      out.v[k] = this._hotV[lane * H + j];
      k++;
    }
    out.n = k;
    return k;
  }

  at(lane: number, end: number, out: { t: number; v: number }): boolean {
    const H = this.hotSlots;
    for (let j = this._hotN[lane] - 1; j >= 0; j--) {
      if (this._hotT[lane * H + j] <= end) {
        out.t = this._hotT[lane * H + j];
        out.v = this._hotV[lane * H + j];
        return true;
      }
    }
    for (let i = this._cLen[lane] - 1; i >= 0; i--) {
      const c = this._chunk(lane, i);
      if (this._cFirst[c] > end) continue;
      const n = this.read(lane, this._cFirst[c] - 1, end, 0, this._scratch);
      if (n === 0) return false;
      out.t = this._scratch.t[n - 1];
      out.v = this._scratch.v[n - 1];
      return true;
    }
    return false;
  }

  summarize(lane: number, start: number, end: number, out: WindowSummary): void {
    const b = this._scratch;
    const n = this.read(lane, start, end, 0, b);
    out.n = n;
    out.resetCorrection = 0;
    if (n === 0) return;
    out.t0 = b.t[0];
    out.v0 = b.v[0];
    out.t1 = b.t[n - 1];
    out.v1 = b.v[n - 1];
    if (this._drop[lane] <= out.t0) return;
    let last = b.v[0];
    for (let i = 1; i < n; i++) {
      if (b.v[i] < last) out.resetCorrection += last;
      last = b.v[i];
    }
  }

  rebase(shift: number): void {
    const H = this.hotSlots;
    for (let lane = 0; lane < this._lanes; lane++) {
      if (this._total[lane] === 0) continue;
      while (this._cLen[lane] > 0 && this._cFirst[this._chunk(lane, 0)] < shift) this._dropOldest(lane);
      for (let i = 0; i < this._cLen[lane]; i++) {
        const c = this._chunk(lane, i);
        this._cFirst[c] -= shift;
      }
      if (this._cLen[lane] > 0) this._sT[lane] -= shift;
      let keep = 0;
      for (let j = 0; j < this._hotN[lane]; j++) {
        const t = this._hotT[lane * H + j];
        if (t < shift) continue;
        this._hotT[lane * H + keep] = t - shift;
        this._hotV[lane * H + keep] = this._hotV[lane * H + j];
        keep++;
      }
      this._points -= this._hotN[lane] - keep;
      this._hotN[lane] = keep;
      this._total[lane] = keep;
      for (let i = 0; i < this._cLen[lane]; i++) this._total[lane] += this._count(lane, i);
      this._drop[lane] = this._drop[lane] >= shift ? this._drop[lane] - shift : -1;
    }
  }

  bytes(): number {
    const K = this._k;
    const perLane = this.hotSlots * 12 + 2 + 4 + 4 + 4 + 4 + 2 + 4 + K * (4 + 2 + 4 + 4) + 2 + 2 + 4 + 8 + 4;
    return this.arena.bytes() + this._cap * perLane;
  }

  usedBytes(): number {
    const K = this._k;
    const perLane = this.hotSlots * 12 + 2 + 4 + 4 + 4 + 4 + 2 + 4 + K * (4 + 2 + 4 + 4) + 2 + 2 + 4 + 8 + 4;
    return this.arena.used + (this._lanes - this._free.length) * perLane;
  }

  points(): number {
    return this._points;
  }
}

export { WindowSummary };
