// Enums with the exact runtime values of @opentelemetry/sdk-metrics (2.x and 3.x).
// Applications routinely hold several copies of sdk-metrics (each exporter pins
// its own), so fastmeter never compares class identity: these values are what
// readers hand back and what exporters read.

export const InstrumentType = {
  COUNTER: 'COUNTER',
  GAUGE: 'GAUGE',
  HISTOGRAM: 'HISTOGRAM',
  UP_DOWN_COUNTER: 'UP_DOWN_COUNTER',
  OBSERVABLE_COUNTER: 'OBSERVABLE_COUNTER',
  OBSERVABLE_GAUGE: 'OBSERVABLE_GAUGE',
  OBSERVABLE_UP_DOWN_COUNTER: 'OBSERVABLE_UP_DOWN_COUNTER',
} as const;
export type InstrumentType = (typeof InstrumentType)[keyof typeof InstrumentType];

export const AggregationTemporality = { DELTA: 0, CUMULATIVE: 1 } as const;
export type AggregationTemporality = (typeof AggregationTemporality)[keyof typeof AggregationTemporality];

export const DataPointType = { HISTOGRAM: 0, EXPONENTIAL_HISTOGRAM: 1, GAUGE: 2, SUM: 3 } as const;
export type DataPointType = (typeof DataPointType)[keyof typeof DataPointType];

export const AggregationType = {
  DEFAULT: 0,
  DROP: 1,
  SUM: 2,
  LAST_VALUE: 3,
  EXPLICIT_BUCKET_HISTOGRAM: 4,
  EXPONENTIAL_HISTOGRAM: 5,
} as const;
export type AggregationType = (typeof AggregationType)[keyof typeof AggregationType];

/** True for the instrument kinds whose values may go down (histogram `sum` is then omitted). */
export function allowsNegativeValues(type: InstrumentType): boolean {
  return (
    type === InstrumentType.GAUGE ||
    type === InstrumentType.UP_DOWN_COUNTER ||
    type === InstrumentType.OBSERVABLE_GAUGE ||
    type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
  );
}

export function isObservableType(type: InstrumentType): boolean {
  return type === InstrumentType.OBSERVABLE_COUNTER || type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER;
}
