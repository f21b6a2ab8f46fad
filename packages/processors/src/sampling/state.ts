// Sampling state of one sampled record function (an instrument, or one bound
// handle of it). Bernoulli sampling with p = 2^-k, drawn as geometric gaps so
// that a skipped call costs one decrement:
//
//   calls   ─┬─┬─┬─┬─┬─┬─┬─┬─┬─┬─┬─┬─►
//   gaps     └──── gap ───┘└─ gap ──┘     each gap ~ Geometric(p): the last call of a gap is kept
//   skip     counts down the current gap; 0 = keep this call, draw the next gap
//
// Kept calls are recorded with weight 2^k = 1/p (Horvitz–Thompson), so count,
// sum and bucket counts are unbiased. When k changes (a timer tick, or the
// burst guard below), the rest of the current gap is redrawn under the new p:
// by memorylessness that is the same as flipping a p-coin for every call from
// then on, so every call is kept with the probability in force when it is made.
//
// Offered calls are never counted one by one: offered = consumed + (gap - skip),
// where `consumed` sums the gaps already closed. At k = 0 (everything kept) a
// call costs one counter increment (keptInWindow, which the burst guard reads
// anyway); the tick folds those counts into consumed and kept.

/** Largest k: p = 2^-20 (about one in a million). */
export const MAX_K = 20;

/** ln(1 - 2^-k), the denominator of the geometric inverse CDF. */
const LOG_Q = Float64Array.from({ length: MAX_K + 1 }, (_, k) => (k === 0 ? Number.NEGATIVE_INFINITY : Math.log1p(-(2 ** -k))));

export class SamplingState {
  // ---- read and written on the record path ----
  /** p = 2^-k. At k = 0 a call only counts itself (keptInWindow) and records. */
  k = 0;
  /** Calls until (and including) the next kept one (k > 0). */
  skip = 1;
  /** The gap `skip` counts down. */
  gap = 1;
  /** 2^k, the weight of a kept call. */
  weight = 1;
  /** Calls kept since the last tick; past `windowLimit`, tighten at once (burst guard). */
  keptInWindow = 0;
  windowLimit = Number.POSITIVE_INFINITY;

  // ---- accounting, folded in off the record path ----
  /** Offered calls of the gaps already closed (k > 0) and of folded k = 0 stretches. */
  consumed = 0;
  /** Kept calls, up to the last fold. */
  kept = 0;
  /** keptInWindow when the current k = 0 stretch was last folded. */
  windowBase = 0;

  // ---- control plane (ticks) ----
  /** What one more burst step allows in the current window (budget × interval). */
  windowStep = Number.POSITIVE_INFINITY;
  /** offered() and keptTotal() at the last tick. */
  lastOffered = 0;
  lastKept = 0;
  /** Offered calls per second over the last interval. */
  rate = 0;
  /** Consecutive ticks that allowed a looser k (hysteresis). */
  calm = 0;

  constructor(private readonly _random: () => number) {}

  offered(): number {
    return this.consumed + (this.k === 0 ? this.keptInWindow - this.windowBase : this.gap - this.skip);
  }

  keptTotal(): number {
    return this.kept + (this.k === 0 ? this.keptInWindow - this.windowBase : 0);
  }

  /** Moves the calls of the current k = 0 stretch into consumed and kept. */
  fold(): void {
    if (this.k !== 0) return;
    const n = this.keptInWindow - this.windowBase;
    this.consumed += n;
    this.kept += n;
    this.windowBase = this.keptInWindow;
  }

  /** A new burst window (each tick). */
  resetWindow(): void {
    this.fold();
    this.keptInWindow = 0;
    this.windowBase = 0;
  }

  /** Accounting of a kept call at k > 0 (the caller records with the weight read before this call). */
  keep(): void {
    this.consumed += this.gap;
    this.kept++;
    this.gap = this.skip = this.draw();
    if (++this.keptInWindow > this.windowLimit) this.burst();
  }

  /** Kept more than the window allows: halve p now, and allow one more step before the next halving. */
  burst(): void {
    if (this.k < MAX_K) this.setK(this.k + 1);
    this.windowLimit += this.windowStep;
  }

  setK(k: number): void {
    if (k === this.k) return;
    if (this.k === 0) this.fold();
    else this.consumed += this.gap - this.skip;
    this.k = k;
    this.weight = 2 ** k;
    if (k === 0) {
      this.windowBase = this.keptInWindow;
      this.gap = this.skip = 1;
    } else {
      this.gap = this.skip = this.draw();
    }
  }

  /** A gap length ~ Geometric(2^-k): trials up to and including the first success. */
  draw(): number {
    if (this.k === 0) return 1;
    // 1 - u is in (0, 1], so the log is finite and <= 0.
    return 1 + Math.floor(Math.log(1 - this._uniform()) / LOG_Q[this.k]);
  }

  /** The configured generator's next number; Math.random's if it throws or leaves [0, 1) (the record path never throws). */
  private _uniform(): number {
    let u: number;
    try {
      u = this._random();
    } catch {
      u = Number.NaN;
    }
    return u >= 0 && u < 1 ? u : Math.random();
  }
}
