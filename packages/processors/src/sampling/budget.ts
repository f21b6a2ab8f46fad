// How a budget (kept records per second) is shared, and how k follows it.
import { MAX_K, type SamplingState } from './state.js';

/**
 * Max-min fair share: the cap c such that Σ min(rate_i, c) = capacity, or
 * Infinity when the rates fit as they are. Quiet streams keep everything they
 * offer; the busy ones share what is left equally.
 */
export function waterFill(rates: readonly number[], capacity: number): number {
  let total = 0;
  for (const r of rates) total += r;
  if (total <= capacity) return Number.POSITIVE_INFINITY;
  const sorted = [...rates].sort((a, b) => a - b);
  let left = capacity;
  for (let i = 0; i < sorted.length; i++) {
    const share = left / (sorted.length - i);
    if (sorted[i] >= share) return share;
    left -= sorted[i];
  }
  return left; // not reached: total > capacity means some rate exceeds its share
}

/** The smallest k with rate / 2^k <= allowance (0 when the rate fits). */
export function neededK(rate: number, allowance: number): number {
  if (!(rate > allowance)) return 0;
  if (allowance <= 0) return MAX_K;
  // The epsilon keeps exact powers of two (rate = 8 × allowance → k = 3) from rounding up.
  return Math.min(MAX_K, Math.max(0, Math.ceil(Math.log2(rate / allowance) - 1e-9)));
}

export interface Hysteresis {
  /** Loosen only when the looser k would stay this far under the allowance (0.25: at most 75 % of it). */
  readonly margin: number;
  /** ... for this many consecutive ticks. */
  readonly ticks: number;
}

/**
 * Moves k towards what `allowance` needs: tighter at once (latency first),
 * looser one step at a time and only after `h.ticks` calm ticks with margin,
 * so that a rate hovering near a power-of-two boundary does not flap.
 */
export function adapt(s: SamplingState, allowance: number, h: Hysteresis): void {
  const need = neededK(s.rate, allowance);
  if (need > s.k) {
    s.setK(need);
    s.calm = 0;
  } else if (need < s.k && s.rate / 2 ** (s.k - 1) <= allowance * (1 - h.margin)) {
    if (++s.calm >= h.ticks) {
      s.setK(s.k - 1);
      s.calm = 0;
    }
  } else {
    s.calm = 0;
  }
}
