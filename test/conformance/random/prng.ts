// A small seeded PRNG (mulberry32): the same seed gives the same program on
// every machine and Node version, so a failing seed can be replayed.

export class Rng {
  private _state: number;

  constructor(seed: number) {
    this._state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this._state = (this._state + 0x6d2b79f5) >>> 0;
    let t = this._state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A random subset of `items`, in random order. */
  subset<T>(items: readonly T[], max = items.length): T[] {
    return this.shuffle(items).slice(0, this.int(Math.min(max, items.length) + 1));
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = Array.from(items);
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
