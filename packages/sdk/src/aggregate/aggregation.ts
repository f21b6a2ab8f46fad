// AggregationOption (the sdk-metrics object form) -> a resolved, immutable
// AggregationSpec. Resolution follows sdk-metrics' DefaultAggregation and
// toAggregation exactly, including their error messages.
import { AggregationType, InstrumentType } from '../common/enums.js';
import { ErrorCode, FastMeterConfigError } from '../common/errors.js';
import type { AggregationOption, InstrumentDescriptor } from '../common/types.js';

export const DEFAULT_HISTOGRAM_BOUNDARIES: readonly number[] = Object.freeze([0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]);
export const DEFAULT_EXPONENTIAL_MAX_SIZE = 160;
const MIN_EXPONENTIAL_MAX_SIZE = 2;

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
    case AggregationType.EXPONENTIAL_HISTOGRAM: {
      const maxSize = option.options?.maxSize ?? DEFAULT_EXPONENTIAL_MAX_SIZE;
      return {
        type: 'exponential',
        maxSize: Math.max(MIN_EXPONENTIAL_MAX_SIZE, Math.floor(maxSize)),
        recordMinMax: option.options?.recordMinMax ?? true,
      };
    }
    case AggregationType.EXPLICIT_BUCKET_HISTOGRAM: {
      if (option.options == null) return { type: 'histogram', boundaries: DEFAULT_HISTOGRAM_BOUNDARIES, recordMinMax: true };
      if (option.options.boundaries == null) {
        throw new FastMeterConfigError(
          ErrorCode.HISTOGRAM_BOUNDARIES_MISSING,
          'ExplicitBucketHistogramAggregation should be created with explicit boundaries, if a single bucket histogram is required, please pass an empty array',
        );
      }
      return {
        type: 'histogram',
        boundaries: cleanBoundaries(option.options.boundaries),
        recordMinMax: option.options.recordMinMax ?? true,
      };
    }
    default:
      throw new FastMeterConfigError(ErrorCode.AGGREGATION_UNSUPPORTED, 'Unsupported Aggregation');
  }
}

/** Sorted copy without -Infinity/+Infinity, as ExplicitBucketHistogramAggregation does. */
export function cleanBoundaries(boundaries: readonly number[]): number[] {
  const sorted = Array.from(boundaries).sort((a, b) => a - b);
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
      if (Array.isArray(advice)) return { type: 'histogram', boundaries: cleanBoundaries(advice), recordMinMax: true };
      return { type: 'histogram', boundaries: DEFAULT_HISTOGRAM_BOUNDARIES, recordMinMax: true };
    }
    default:
      return { type: 'drop' };
  }
}
