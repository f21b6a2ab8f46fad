import type { Attributes, Context, Meter } from '@opentelemetry/api';
import type { InstrumentDescriptor } from '../common/types.js';
import type { RecordFunction } from './record.js';

/**
 * The measurement-processor seam (used by @fastmeter/processors: sampling,
 * circuit breakers, backpressure). A processor sees each synchronous
 * instrument once, when it is created, and returns the record function to use:
 * `next` itself to stay out of the way, or a function that decides whether and
 * how to call `next`. Nothing is added to the record path when no processor is
 * configured.
 */
export interface MeasurementProcessor {
  /**
   * Called once per synchronous instrument (and once per bound handle, with
   * `next` ignoring its attributes). `context.recordWeighted` records a value
   * as if it had been recorded `weight` times (see ProcessorContext).
   */
  wrap(instrument: InstrumentDescriptor, next: RecordFunction, context: ProcessorContext): RecordFunction;
  /**
   * Called once by the provider's constructor, after its readers are
   * registered. May return a function, called once by the provider's
   * `shutdown()` (to stop timers, withdraw limits).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an attach() without a return statement must type-check
  attach?(host: ProcessorHost): void | (() => void);
}

/**
 * Records `value` with weight `weight` (a positive finite number): explicit and
 * exponential histograms add `weight` to the count and to the value's bucket
 * and `value × weight` to the sum (min and max see `value`); sums add
 * `value × weight`; last-value aggregations store `value`. This is how a
 * sampler that keeps a value with probability p stays unbiased (weight 1/p).
 * It writes into the instrument's storage directly, after the value check and
 * the views' attribute processors: measurement processors listed before the
 * caller in `processors` are not called.
 */
export type WeightedRecordFunction = (value: number, weight: number, attributes?: Attributes, context?: Context) => void;

export interface ProcessorContext {
  readonly recordWeighted: WeightedRecordFunction;
}

/** What a processor may use of its provider (see MeasurementProcessor.attach). */
export interface ProcessorHost {
  /** The meter `fastmeter` when the provider was created with `selfMetrics: true`, else undefined. */
  readonly selfMeter: Meter | undefined;
  /** The provider-wide new-series rate limit in force (Infinity: none). */
  readonly maxNewSeriesPerSecond: number;
  /**
   * Lowers the new-series rate limit on behalf of `source` (any object that
   * identifies the caller); `undefined` withdraws that source's limit. The
   * limit in force is the lowest of the configured `maxNewSeriesPerSecond` and
   * every source's.
   */
  limitNewSeries(source: object, perSecond: number | undefined): void;
}
