import { Warnings } from './warnings.js';

/**
 * Why a measurement or an attribute was dropped. Each reason is counted in
 * `Health.dropped` and exported as `fastmeter.measurements.dropped{reason}`.
 */
export const DropReason = {
  /** The value is not of type number. */
  NOT_A_NUMBER: 'not_a_number',
  /** NaN. */
  NAN: 'nan',
  /** +Infinity or -Infinity. */
  INFINITE: 'infinite',
  /** A negative value on a monotonic instrument (Counter, Histogram), or a negative ObservableCounter total. */
  NEGATIVE: 'negative',
  /** The attributes argument is not an object (null, a string, ...). */
  INVALID_ATTRIBUTES: 'invalid_attributes',
  /** Reading the attributes threw (a throwing getter or proxy trap). */
  ATTRIBUTES_THREW: 'attributes_threw',
  /** A view's custom attributes processor threw. */
  PROCESSOR_THREW: 'attributes_processor_threw',
  /** `bind(histogram).merge(delta)` got an inconsistent or non-finite delta (refused whole). */
  INVALID_HISTOGRAM_DELTA: 'invalid_histogram_delta',
  /** A measurement processor's record function threw (see MeasurementProcessor). */
  MEASUREMENT_PROCESSOR_THREW: 'measurement_processor_threw',
  /** A measurement observed on an instrument the callback was not registered for. */
  UNREGISTERED_INSTRUMENT: 'unregistered_instrument',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/**
 * Self-observability of one provider: plain integer counters, read at collect
 * time, and a diag channel that reports each kind of problem at most once per
 * 10 s with a count of what it suppressed. Costs nothing while input is good.
 */
export class Health {
  readonly dropped: Record<string, number> = Object.create(null);
  /** Attribute keys or values removed from otherwise accepted measurements. */
  readonly attributesDropped: Record<string, number> = Object.create(null);
  /** Measurements redirected to the overflow series because a stream hit its cardinality limit. */
  overflowed = 0;
  /** INT instruments given a fractional value, recorded truncated. */
  truncated = 0;
  /** Series created, and released by reason (reclaimed: idle delta series; evicted: idle cumulative series; removed: removeSeries()). */
  seriesCreated = 0;
  readonly seriesReleased: Record<string, number> = Object.create(null);
  /** New series refused by the rate limit or the intern budget (their measurements went to overflow). */
  readonly seriesRefused: Record<string, number> = Object.create(null);
  /** Paths stored in all attribute tries of this provider (the intern tables' size). */
  internPaths = 0;
  /** Most paths the intern tables may hold, all streams together. */
  internBudget = Number.POSITIVE_INFINITY;
  // New-series rate limit: a token bucket refilled continuously, read on the miss path only.
  private _rate = Number.POSITIVE_INFINITY;
  private _tokens = 0;
  private _refilledAt = 0;

  /** The new-series rate limit in force (Infinity: none). */
  get seriesRateLimit(): number {
    return this._rate;
  }

  setSeriesRateLimit(perSecond: number): void {
    this._rate = perSecond;
    this._tokens = perSecond;
    this._refilledAt = Date.now();
  }

  /** May one more series be created now? Called only when a series would be created. */
  admitSeries(): boolean {
    if (this.internPaths >= this.internBudget) {
      this.seriesRefused.intern_budget = (this.seriesRefused.intern_budget ?? 0) + 1;
      return false;
    }
    if (this._rate === Number.POSITIVE_INFINITY) return true;
    const now = Date.now();
    this._tokens = Math.min(this._rate, this._tokens + ((now - this._refilledAt) / 1000) * this._rate);
    this._refilledAt = now;
    if (this._tokens < 1) {
      this.seriesRefused.rate_limit = (this.seriesRefused.rate_limit ?? 0) + 1;
      return false;
    }
    this._tokens -= 1;
    return true;
  }

  released(reason: 'reclaimed' | 'evicted' | 'removed', n: number): void {
    this.seriesReleased[reason] = (this.seriesReleased[reason] ?? 0) + n;
  }
  private readonly _warnings = new Warnings();

  drop(reason: DropReason, instrument: string, detail: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.warn(`drop:${reason}:${instrument}`, `fastmeter: dropped a measurement on "${instrument}": ${detail}`);
  }

  /** One attribute removed (or truncated): counted by reason, warned under `warnKey` at a limited rate. */
  countAttribute(reason: string, warnKey: string, message: string): void {
    this.attributesDropped[reason] = (this.attributesDropped[reason] ?? 0) + 1;
    this.warn(warnKey, message);
  }

  /** Rate-limited diag.warn: the first message of a kind goes out, then one per 10 s. */
  warn(key: string, message: string): void {
    this._warnings.warn(key, message);
  }
}

export { describe } from './warnings.js';
