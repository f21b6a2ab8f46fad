// Where the points of scalar series (counters, up-down counters, gauges) live,
// and the one interface both layouts implement: the plain ring (plain-lanes.ts)
// and the compressed one (compressed-lanes.ts).
//
// Timestamps are stored as Uint32 milliseconds since the store's epoch (see
// epoch.ts), values as Float64: 12 bytes per point in the plain layout.

/** Points copied out of a lane, oldest first; absolute timestamps in ms. */
export class PointBuffer {
  n = 0;
  t: Float64Array;
  v: Float64Array;
  constructor(capacity: number) {
    this.t = new Float64Array(capacity);
    this.v = new Float64Array(capacity);
  }
  reserve(capacity: number): void {
    if (this.t.length >= capacity) return;
    const size = Math.max(capacity, this.t.length * 2);
    this.t = new Float64Array(size);
    this.v = new Float64Array(size);
  }
}

/**
 * What rate(), increase() and delta() need from a window: the first and last
 * point, how many there are, and the sum of the values lost to counter resets
 * (Prometheus adds back the value before each drop).
 */
export class WindowSummary {
  n = 0;
  t0 = 0;
  v0 = 0;
  t1 = 0;
  v1 = 0;
  resetCorrection = 0;
}

export interface ScalarStore {
  /** Points per lane (the ring's capacity; the compressed layout may hold up to one chunk more). */
  readonly slots: number;
  /** A fresh, empty lane. The caller keeps the count of lanes in use within its bound. */
  allocate(): number;
  free(lane: number): void;
  /** Appends a point; `t` is relative to the epoch and not before the lane's last point. */
  append(lane: number, t: number, v: number): void;
  /** Replaces the value of the lane's newest point (same timestamp ingested again). */
  replaceLast(lane: number, v: number): void;
  size(lane: number): number;
  /** Relative time of the newest point, or -1 when empty. */
  lastTime(lane: number): number;
  lastValue(lane: number): number;
  /** Relative time of the oldest point, or -1 when empty. */
  firstTime(lane: number): number;
  /** Points with start < t <= end (relative ms), oldest first, into `out` (absolute ms with `epoch` added). */
  read(lane: number, start: number, end: number, epoch: number, out: PointBuffer): number;
  /** The latest point with t <= end (relative); false when there is none. */
  at(lane: number, end: number, out: { t: number; v: number }): boolean;
  /** First/last/count/reset correction of the points with start < t <= end. */
  summarize(lane: number, start: number, end: number, out: WindowSummary): void;
  /** Subtracts `shift` ms from every stored time (epoch moved forward); points that would go below 0 are dropped. */
  rebase(shift: number): void;
  /** Bytes held for points (typed arrays and chunk arena), whether in use or free. */
  bytes(): number;
  /** Bytes actually occupied by the points held (for bytes-per-point figures). */
  usedBytes(): number;
  /** Points held in all lanes. */
  points(): number;
}
