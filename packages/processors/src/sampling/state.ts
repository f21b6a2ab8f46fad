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
// where `consumed` sums the gaps already closed.

/** Largest k: p = 2^-20 (about one in a million). */
export const MAX_K = 20;

/** ln(1 - 2^-k), the denominator of the geometric inverse CDF. */
const LOG_Q = Float64Array.from({ length: MAX_K + 1 }, (_, k) => (k === 0 ? Number.NEGATIVE_INFINITY : Math.log1p(-(2 ** -k))));

export class SamplingState {
  // ---- read and written on the record path ----
  /** Calls until (and including) the next kept one. */
  skip = 1;
  /** The gap `skip` counts down. */
  gap = 1;
  /** p = 2^-k. */
  k = 0;
  /** 2^k, the weight of a kept call. */
  weight = 1;
  /** Calls kept since the last tick; past `windowLimit`, tighten at once (burst guard). */
  keptInWindow = 0;
  windowLimit = Number.POSITIVE_INFINITY;
  /** Offered calls of the gaps already closed. */
  consumed = 0;
  /** Kept calls since creation. */
  kept = 0;

  // ---- control plane (ticks) ----
  /** What one more burst step allows in the current window (budget × interval). */
  windowStep = Number.POSITIVE_INFINITY;
  /** offered() and kept at the last tick. */
  lastOffered = 0;
  lastKept = 0;
  /** Offered calls per second over the last interval. */
  rate = 0;
  /** Consecutive ticks that allowed a looser k (hysteresis). */
  calm = 0;

  constructor(private readonly _random: () => number) {}

  offered(): number {
    return this.consumed + (this.gap - this.skip);
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
    this.consumed += this.gap - this.skip;
    this.k = k;
    this.weight = 2 ** k;
    this.gap = this.skip = this.draw();
  }

  /** A gap length ~ Geometric(2^-k): trials up to and including the first success. */
  draw(): number {
    if (this.k === 0) return 1;
    // 1 - u is in (0, 1], so the log is finite and <= 0.
    return 1 + Math.floor(Math.log(1 - this._random()) / LOG_Q[this.k]);
  }
}
