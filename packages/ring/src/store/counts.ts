// A dense run of bucket counts starting at bucket index `offset`, grown on
// either side as needed: the cumulative state of one histogram series (the
// explicit buckets of a series, or one side of an exponential histogram).

export class Counts {
  offset = 0;
  n = 0;
  c: Float64Array;

  constructor(capacity = 16) {
    this.c = new Float64Array(capacity);
  }

  clear(): void {
    this.c.fill(0, 0, this.n);
    this.n = 0;
    this.offset = 0;
  }

  get(index: number): number {
    const i = index - this.offset;
    return i >= 0 && i < this.n ? this.c[i] : 0;
  }

  /** Adds `v` at bucket `index`, growing the run to include it. */
  add(index: number, v: number): void {
    this._include(index);
    this.c[index - this.offset] += v;
  }

  set(index: number, v: number): void {
    this._include(index);
    this.c[index - this.offset] = v;
  }

  private _include(index: number): void {
    if (this.n === 0) {
      this.offset = index;
      this.n = 1;
      if (this.c.length === 0) this.c = new Float64Array(16);
      this.c[0] = 0;
      return;
    }
    if (index < this.offset) {
      const shift = this.offset - index;
      this._reserve(this.n + shift);
      this.c.copyWithin(shift, 0, this.n);
      this.c.fill(0, 0, shift);
      this.offset = index;
      this.n += shift;
    } else if (index >= this.offset + this.n) {
      const n = index - this.offset + 1;
      this._reserve(n);
      this.c.fill(0, this.n, n);
      this.n = n;
    }
  }

  private _reserve(n: number): void {
    if (n <= this.c.length) return;
    const next = new Float64Array(Math.max(n, this.c.length * 2));
    next.set(this.c.subarray(0, this.n));
    this.c = next;
  }

  copyFrom(o: Counts): void {
    this._reserve(o.n);
    this.c.set(o.c.subarray(0, o.n));
    if (this.n > o.n) this.c.fill(0, o.n, this.n);
    this.n = o.n;
    this.offset = o.offset;
  }

  addAll(o: Counts, sign = 1): void {
    for (let i = 0; i < o.n; i++) if (o.c[i] !== 0) this.add(o.offset + i, sign * o.c[i]);
  }

  total(): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.c[i];
    return s;
  }

  /** Merges into a scale `shift` steps coarser: bucket i goes to i >> shift. */
  downscale(shift: number): void {
    if (shift <= 0 || this.n === 0) return;
    const from = this.offset;
    const to = this.offset + this.n;
    const old = this.c.slice(0, this.n);
    this.clear();
    for (let i = from; i < to; i++) if (old[i - from] !== 0) this.add(Math.floor(i / 2 ** shift), old[i - from]);
  }
}
