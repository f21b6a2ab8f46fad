// AggregationOption (the sdk-metrics object form) -> a resolved, immutable
// AggregationSpec. Resolution follows sdk-metrics' DefaultAggregation and
// toAggregation exactly, including their error messages.
import { diag } from '@opentelemetry/api';
import { AggregationType, InstrumentType } from '../common/enums.js';
import { describeValue } from '../common/warnings.js';
import { ErrorCode, FastMeterConfigError } from '../common/errors.js';
import type { AggregationOption, InstrumentDescriptor } from '../common/types.js';

export const DEFAULT_HISTOGRAM_BOUNDARIES: readonly number[] = Object.freeze([0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]);
export const DEFAULT_EXPONENTIAL_MAX_SIZE = 160;
/** sdk-metrics' minimum: smaller sizes are raised to it (with a warning, as sdk-metrics does). */
export const MIN_EXPONENTIAL_MAX_SIZE = 2;
/**
 * fastmeter's maximum (sdk-metrics has none, so `Infinity` or a huge size can
 * exhaust memory at collect): 16,384 buckets per sign, 256 KiB per series at worst.
 */
export const MAX_EXPONENTIAL_MAX_SIZE = 16_384;

export type AggregationSpec =
  | { readonly kind: 'drop'; readonly key: string }
  | { readonly kind: 'sum'; readonly key: string; readonly monotonic: boolean }
  | { readonly kind: 'lastValue'; readonly key: string }
  | {
      readonly kind: 'histogram';
      readonly key: string;
      /** Exported as is (one array shared by every point, as sdk-metrics does). */
      readonly boundaries: number[];
      readonly recordMinMax: boolean;
    }
  | { readonly kind: 'exponential'; readonly key: string; readonly maxSize: number; readonly recordMinMax: boolean };

/** A checked aggregation choice, not yet bound to an instrument (what a view holds). */
export type AggregationChoice =
  | { readonly type: 'default' }
  | { readonly type: 'drop' }
  | { readonly type: 'sum' }
  | { readonly type: 'lastValue' }
  | { readonly type: 'histogram'; readonly boundaries: readonly number[]; readonly recordMinMax: boolean }
  | { readonly type: 'exponential'; readonly maxSize: number; readonly recordMinMax: boolean };

/** Validates an AggregationOption. Throws FastMeterConfigError on what sdk-metrics throws on. */
export function parseAggregationOption(option: AggregationOption | undefined): AggregationChoice {
  if (option == null) return { type: 'default' };
  switch (option.type) {
    case AggregationType.DEFAULT:
      return { type: 'default' };
    case AggregationType.DROP:
      return { type: 'drop' };
    case AggregationType.SUM:
      return { type: 'sum' };
    case AggregationType.LAST_VALUE:
      return { type: 'lastValue' };
    case AggregationType.EXPONENTIAL_HISTOGRAM:
      return {
        type: 'exponential',
        maxSize: exponentialMaxSize(option.options?.maxSize),
        recordMinMax: option.options?.recordMinMax ?? true,
      };
    case AggregationType.EXPLICIT_BUCKET_HISTOGRAM: {
      if (option.options == null) return { type: 'histogram', boundaries: DEFAULT_HISTOGRAM_BOUNDARIES, recordMinMax: true };
      if (option.options.boundaries == null) {
        throw new FastMeterConfigError(
          ErrorCode.HISTOGRAM_BOUNDARIES_MISSING,
          'ExplicitBucketHistogramAggregation should be created with explicit boundaries, if a single bucket histogram is required, please pass an empty array',
        );
      }
      if (!Array.isArray(option.options.boundaries)) {
        throw new FastMeterConfigError(
          ErrorCode.INVALID_OPTION,
          `ExplicitBucketHistogramAggregation boundaries must be an array of numbers, got ${describeValue(option.options.boundaries)}`,
        );
      }
      return {
        type: 'histogram',
        boundaries: cleanBoundaries(option.options.boundaries, 'ExplicitBucketHistogramAggregation boundaries'),
        recordMinMax: option.options.recordMinMax ?? true,
      };
    }
    default:
      throw new FastMeterConfigError(ErrorCode.AGGREGATION_UNSUPPORTED, 'Unsupported Aggregation');
  }
}

/**
 * The bucket count an exponential histogram keeps per sign. sdk-metrics records
 * with any value (NaN and Infinity never rescale: unbounded buckets; a fraction
 * throws a RangeError from record()), so this never throws: NaN or a non-number
 * is the default, a fraction is rounded down, and the result is clamped to
 * [MIN, MAX], each with a warning (test/conformance/DIFFERENCES.md, 5).
 */
export function exponentialMaxSize(raw: unknown): number {
  if (raw === undefined) return DEFAULT_EXPONENTIAL_MAX_SIZE;
  if (typeof raw !== 'number' || raw !== raw) {
    diag.warn(`fastmeter: exponential histogram maxSize ${describeValue(raw)} is not a number; using the default of ${DEFAULT_EXPONENTIAL_MAX_SIZE}`);
    return DEFAULT_EXPONENTIAL_MAX_SIZE;
  }
  if (raw > MAX_EXPONENTIAL_MAX_SIZE) {
    diag.warn(`fastmeter: exponential histogram maxSize ${raw} is above the maximum; using ${MAX_EXPONENTIAL_MAX_SIZE}`);
    return MAX_EXPONENTIAL_MAX_SIZE;
  }
  if (raw < MIN_EXPONENTIAL_MAX_SIZE) {
    diag.warn(`fastmeter: exponential histogram maxSize ${raw} is below the minimum; using ${MIN_EXPONENTIAL_MAX_SIZE}`);
    return MIN_EXPONENTIAL_MAX_SIZE;
  }
  if (!Number.isInteger(raw)) diag.warn(`fastmeter: exponential histogram maxSize ${raw} is not an integer; using ${Math.floor(raw)}`);
  return Math.floor(raw);
}

/**
 * Sorted copy without -Infinity/+Infinity, as ExplicitBucketHistogramAggregation
 * does; also without NaN and non-numbers (sdk-metrics keeps them, and then
 * sorts and buckets unpredictably), with a warning naming `what`.
 */
export function cleanBoundaries(boundaries: readonly unknown[], what = 'histogram boundaries'): number[] {
  const numbers = boundaries.filter((b): b is number => typeof b === 'number' && b === b);
  if (numbers.length !== boundaries.length) {
    const bad = boundaries.filter(b => typeof b !== 'number' || b !== b).map(describeValue);
    diag.warn(`fastmeter: ${what} must be numbers; ignoring ${bad.join(', ')}`);
  }
  const sorted = numbers.sort((a, b) => a - b);
  const minusInfinity = sorted.lastIndexOf(Number.NEGATIVE_INFINITY);
  const infinity = sorted.indexOf(Number.POSITIVE_INFINITY);
  return sorted.slice(minusInfinity + 1, infinity === -1 ? undefined : infinity);
}

/** Binds a choice to an instrument (the Default aggregation depends on the instrument kind and advice). */
export function resolveAggregation(choice: AggregationChoice, descriptor: InstrumentDescriptor): AggregationSpec {
  switch (choice.type) {
    case 'default':
      return resolveAggregation(defaultChoice(descriptor), descriptor);
    case 'drop':
      return { kind: 'drop', key: 'drop' };
    case 'sum': {
      const monotonic =
        descriptor.type === InstrumentType.COUNTER || descriptor.type === InstrumentType.OBSERVABLE_COUNTER || descriptor.type === InstrumentType.HISTOGRAM;
      return { kind: 'sum', key: monotonic ? 'sum:m' : 'sum', monotonic };
    }
    case 'lastValue':
      return { kind: 'lastValue', key: 'lastValue' };
    case 'histogram': {
      const boundaries = Array.from(choice.boundaries);
      return {
        kind: 'histogram',
        key: `histogram:${boundaries.join(',')}:${choice.recordMinMax}`,
        boundaries,
        recordMinMax: choice.recordMinMax,
      };
    }
    case 'exponential':
      return {
        kind: 'exponential',
        key: `exponential:${choice.maxSize}:${choice.recordMinMax}`,
        maxSize: choice.maxSize,
        recordMinMax: choice.recordMinMax,
      };
  }
}

function defaultChoice(descriptor: InstrumentDescriptor): AggregationChoice {
  switch (descriptor.type) {
    case InstrumentType.COUNTER:
    case InstrumentType.UP_DOWN_COUNTER:
    case InstrumentType.OBSERVABLE_COUNTER:
    case InstrumentType.OBSERVABLE_UP_DOWN_COUNTER:
      return { type: 'sum' };
    case InstrumentType.GAUGE:
    case InstrumentType.OBSERVABLE_GAUGE:
      return { type: 'lastValue' };
    case InstrumentType.HISTOGRAM: {
      const advice = descriptor.advice?.explicitBucketBoundaries;
      if (Array.isArray(advice)) return { type: 'histogram', boundaries: cleanBoundaries(advice, 'advice.explicitBucketBoundaries'), recordMinMax: true };
      return { type: 'histogram', boundaries: DEFAULT_HISTOGRAM_BOUNDARIES, recordMinMax: true };
    }
    default:
      return { type: 'drop' };
  }
}
