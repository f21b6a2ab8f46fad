// Instrument kinds and aggregations shared by the conformance tests.
import type { Attributes, Meter, MetricOptions, Observable, ObservableResult } from '@opentelemetry/api';
import { type AggregationOption, AggregationType, InstrumentType } from '@opentelemetry/sdk-metrics';

export const SYNC_KINDS = [InstrumentType.COUNTER, InstrumentType.UP_DOWN_COUNTER, InstrumentType.HISTOGRAM, InstrumentType.GAUGE] as const;
export const ASYNC_KINDS = [InstrumentType.OBSERVABLE_COUNTER, InstrumentType.OBSERVABLE_UP_DOWN_COUNTER, InstrumentType.OBSERVABLE_GAUGE] as const;
export const ALL_KINDS: readonly InstrumentType[] = [...SYNC_KINDS, ...ASYNC_KINDS];

export function isAsync(kind: InstrumentType): boolean {
  return (ASYNC_KINDS as readonly InstrumentType[]).includes(kind);
}

/** Kinds whose values must not be negative (sdk-metrics and fastmeter drop negative values on the sync ones). */
export function isMonotonicKind(kind: InstrumentType): boolean {
  return kind === InstrumentType.COUNTER || kind === InstrumentType.HISTOGRAM || kind === InstrumentType.OBSERVABLE_COUNTER;
}

export interface NamedAggregation {
  name: string;
  option: AggregationOption;
  /** Histogram aggregations on observable instruments differ on purpose (DIFFERENCES.md). */
  histogram: boolean;
}

export const AGGREGATIONS: readonly NamedAggregation[] = [
  { name: 'default', option: { type: AggregationType.DEFAULT }, histogram: false },
  { name: 'sum', option: { type: AggregationType.SUM }, histogram: false },
  { name: 'lastValue', option: { type: AggregationType.LAST_VALUE }, histogram: false },
  { name: 'histogram (default bounds)', option: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM }, histogram: true },
  {
    name: 'histogram [0,10,100] no min/max',
    option: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [100, 0, 10], recordMinMax: false } },
    histogram: true,
  },
  {
    name: 'histogram [-5,1,5,25,Infinity]',
    option: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [-5, 1, 5, 25, Number.POSITIVE_INFINITY] } },
    histogram: true,
  },
  { name: 'exponential (default)', option: { type: AggregationType.EXPONENTIAL_HISTOGRAM }, histogram: true },
  { name: 'exponential maxSize 4', option: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 4 } }, histogram: true },
  {
    name: 'exponential maxSize 8 no min/max',
    option: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 8, recordMinMax: false } },
    histogram: true,
  },
  { name: 'drop', option: { type: AggregationType.DROP }, histogram: false },
];

/** A uniform handle on any instrument kind: `record` for sync ones, a settable observation table for async ones. */
export interface AnyInstrument {
  readonly kind: InstrumentType;
  readonly observable: Observable | undefined;
  record(value: number, attributes?: Attributes): void;
  /** Observable kinds: what the callback reports at the next collection (replaces the table). */
  setObservations(observations: [number, Attributes | undefined][]): void;
}

export function createInstrument(meter: Meter, kind: InstrumentType, name: string, options?: MetricOptions, withCallback = true): AnyInstrument {
  let observations: [number, Attributes | undefined][] = [];
  const callback = (result: ObservableResult) => {
    for (const [value, attributes] of observations) result.observe(value, attributes);
  };
  const sync = (record: (v: number, a?: Attributes) => void): AnyInstrument => ({
    kind,
    observable: undefined,
    record,
    setObservations() {
      throw new Error(`${kind} is not observable`);
    },
  });
  const async = (observable: Observable): AnyInstrument => {
    if (withCallback) observable.addCallback(callback);
    return {
      kind,
      observable,
      record() {
        throw new Error(`${kind} is not synchronous`);
      },
      setObservations(next) {
        observations = next;
      },
    };
  };
  switch (kind) {
    case InstrumentType.COUNTER: {
      const c = meter.createCounter(name, options);
      return sync((v, a) => c.add(v, a));
    }
    case InstrumentType.UP_DOWN_COUNTER: {
      const c = meter.createUpDownCounter(name, options);
      return sync((v, a) => c.add(v, a));
    }
    case InstrumentType.HISTOGRAM: {
      const h = meter.createHistogram(name, options);
      return sync((v, a) => h.record(v, a));
    }
    case InstrumentType.GAUGE: {
      const g = meter.createGauge(name, options);
      return sync((v, a) => g.record(v, a));
    }
    case InstrumentType.OBSERVABLE_COUNTER:
      return async(meter.createObservableCounter(name, options));
    case InstrumentType.OBSERVABLE_UP_DOWN_COUNTER:
      return async(meter.createObservableUpDownCounter(name, options));
    case InstrumentType.OBSERVABLE_GAUGE:
      return async(meter.createObservableGauge(name, options));
  }
  throw new Error(`unknown kind ${kind}`);
}
