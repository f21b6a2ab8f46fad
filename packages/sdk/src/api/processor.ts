import type { Attributes, Context, Meter } from '@opentelemetry/api';
import { DropReason, type Health, describe } from '../common/health.js';
import type { InstrumentDescriptor } from '../common/types.js';
import type { RecordFunction } from './record.js';

/**
 * The measurement-processor seam (used by @fastmeter/processors: sampling,
 * circuit breakers, backpressure). A processor sees each synchronous
 * instrument once, when it is created, and returns the record function to use:
 * `next` itself to stay out of the way, or a function that decides whether and
 * how to call `next`. Nothing is added to the record path when no processor is
 * configured.
 *
 * Processors are application code on the record path, so nothing they throw
 * reaches the caller (see `composeProcessors`).
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
  /**
   * True when this processor's record functions contain their own errors and
   * never throw: they are then used as returned, without the provider's
   * try/catch guard (which costs about 5 % of a histogram record: 36 more
   * instructions per call, measured under valgrind with Node 20).
   */
  readonly neverThrows?: boolean;
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

/**
 * `next` wrapped by every processor, in order (the last one is called first).
 *
 * - A `wrap()` that throws or returns something other than a function leaves
 *   its processor out of this instrument (warned): the instrument records as if
 *   that processor were not configured, so nothing accepted is lost.
 * - A record function that throws drops that measurement (counted as
 *   `measurement_processor_threw`, warned at a limited rate). Each processor's
 *   function is guarded on its own, so an outer processor never sees what an
 *   inner one throws. A try/catch that never throws costs nothing measurable in
 *   optimised code; the guard exists only when processors are configured.
 */
export function composeProcessors(
  processors: readonly MeasurementProcessor[],
  descriptor: InstrumentDescriptor,
  next: RecordFunction,
  context: ProcessorContext,
  health: Health,
): RecordFunction {
  let record = next;
  for (let i = 0; i < processors.length; i++) {
    let wrapped: unknown;
    try {
      wrapped = processors[i].wrap(descriptor, record, context);
    } catch (err) {
      health.warn(
        `processor-wrap:${i}:${descriptor.name}`,
        `fastmeter: processors[${i}].wrap() threw for "${descriptor.name}" (${describe((err as Error)?.message ?? err)}); the instrument records without that processor`,
      );
      continue;
    }
    if (typeof wrapped !== 'function') {
      health.warn(
        `processor-wrap:${i}:${descriptor.name}`,
        `fastmeter: processors[${i}].wrap() did not return a function for "${descriptor.name}" (got ${describe(wrapped)}); the instrument records without that processor`,
      );
      continue;
    }
    record =
      wrapped === record || processors[i].neverThrows === true ? (wrapped as RecordFunction) : guard(wrapped as RecordFunction, i, descriptor.name, health);
  }
  return record;
}

function guard(fn: RecordFunction, index: number, name: string, health: Health): RecordFunction {
  return function guarded(value, attributes, context) {
    try {
      fn(value, attributes, context);
    } catch (err) {
      health.drop(DropReason.MEASUREMENT_PROCESSOR_THREW, name, `measurement processors[${index}] threw: ${describe((err as Error)?.message ?? err)}`);
    }
  };
}
