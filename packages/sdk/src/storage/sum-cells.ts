import { type Cells, INITIAL_CAPACITY, nextCapacity } from './cells.js';

/** Sums: one float64 per series. */
export class SumCells implements Cells {
  values = new Float64Array(INITIAL_CAPACITY);
  /** Observable counters only: 1 where the observed total went down (a reset) this interval. */
  resets: Uint8Array | null;

  constructor(trackResets: boolean) {
    this.resets = trackResets ? new Uint8Array(INITIAL_CAPACITY) : null;
  }

  grow(n: number): void {
    if (n <= this.values.length) return;
    const cap = nextCapacity(this.values.length, n);
    const values = new Float64Array(cap);
    values.set(this.values);
    this.values = values;
    if (this.resets !== null) {
      const resets = new Uint8Array(cap);
      resets.set(this.resets);
      this.resets = resets;
    }
  }

  clear(sid: number): void {
    this.values[sid] = 0;
    if (this.resets !== null) this.resets[sid] = 0;
  }

  mergeFrom(src: Cells, sid: number): boolean {
    const from = src as SumCells;
    if (from.resets !== null && from.resets[sid] === 1) {
      this.values[sid] = from.values[sid];
      if (this.resets !== null) this.resets[sid] = 1;
      return true;
    }
    this.values[sid] += from.values[sid];
    return false;
  }

  value(sid: number): number {
    return this.values[sid];
  }
}
