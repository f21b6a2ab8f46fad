import { type Cells, INITIAL_CAPACITY, nextCapacity } from './cells.js';

/** Last values: one float64 per series; a merge takes the newer value. */
export class LastValueCells implements Cells {
  values = new Float64Array(INITIAL_CAPACITY);

  grow(n: number): void {
    if (n <= this.values.length) return;
    const values = new Float64Array(nextCapacity(this.values.length, n));
    values.set(this.values);
    this.values = values;
  }

  clear(sid: number): void {
    this.values[sid] = 0;
  }

  mergeFrom(src: Cells, sid: number): boolean {
    this.values[sid] = (src as LastValueCells).values[sid];
    return false;
  }

  value(sid: number): number {
    return this.values[sid];
  }
}
