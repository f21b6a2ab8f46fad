// The data shapes fastmeter emits and the reader contract it consumes. They are
// structurally identical to @opentelemetry/sdk-metrics' MetricData.ts and
// MetricReader.ts (2.12 and 3.1), so standard readers and exporters take them
// unchanged. Declared here so that the SDK has no runtime dependency on sdk-metrics.
import type { Attributes, Context, HrTime, MetricAdvice, ValueType } from '@opentelemetry/api';
import type { AggregationTemporality, AggregationType, DataPointType, InstrumentType } from './enums.js';

/** The descriptor object of an emitted metric; `type` and `advice` are present at runtime as in sdk-metrics. */
export interface InstrumentDescriptor {
  readonly name: string;
  readonly type: InstrumentType;
  readonly description: string;
  readonly unit: string;
  readonly valueType: ValueType;
  readonly advice: MetricAdvice;
}

export interface MetricDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly valueType: ValueType;
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

export interface DataPoint<T> {
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly attributes: Attributes;
  readonly value: T;
}

export interface Histogram {
  buckets: { boundaries: number[]; counts: number[] };
  sum?: number;
  count: number;
  min?: number;
  max?: number;
}

export interface ExponentialHistogram {
  count: number;
  sum?: number;
  scale: number;
  zeroCount: number;
  positive: { offset: number; bucketCounts: number[] };
  negative: { offset: number; bucketCounts: number[] };
  min?: number;
  max?: number;
}

interface BaseMetricData {
  readonly descriptor: MetricDescriptor;
  readonly aggregationTemporality: AggregationTemporality;
  readonly dataPointType: DataPointType;
}
export interface SumMetricData extends BaseMetricData {
  readonly dataPointType: typeof DataPointType.SUM;
  readonly dataPoints: DataPoint<number>[];
  readonly isMonotonic: boolean;
}
export interface GaugeMetricData extends BaseMetricData {
  readonly dataPointType: typeof DataPointType.GAUGE;
  readonly dataPoints: DataPoint<number>[];
}
export interface HistogramMetricData extends BaseMetricData {
  readonly dataPointType: typeof DataPointType.HISTOGRAM;
  readonly dataPoints: DataPoint<Histogram>[];
}
export interface ExponentialHistogramMetricData extends BaseMetricData {
  readonly dataPointType: typeof DataPointType.EXPONENTIAL_HISTOGRAM;
  readonly dataPoints: DataPoint<ExponentialHistogram>[];
}
export type MetricData = SumMetricData | GaugeMetricData | HistogramMetricData | ExponentialHistogramMetricData;

export interface ScopeMetrics {
  scope: InstrumentationScope;
  metrics: MetricData[];
}

/** The `Resource` interface of @opentelemetry/resources (2.x and 3.x). */
export interface Resource {
  readonly asyncAttributesPending?: boolean;
  readonly attributes: Attributes;
  readonly schemaUrl?: string;
  waitForAsyncAttributes?(): Promise<void>;
  merge(other: Resource | null): Resource;
  getRawAttributes(): unknown[];
}

export interface ResourceMetrics {
  resource: Resource;
  scopeMetrics: ScopeMetrics[];
}

export interface CollectionResult {
  resourceMetrics: ResourceMetrics;
  errors: unknown[];
}

export interface MetricCollectOptions {
  timeoutMillis?: number;
}

export interface MetricProducer {
  collect(options?: MetricCollectOptions): Promise<CollectionResult>;
}

export type AggregationOption =
  | { type: typeof AggregationType.DEFAULT }
  | { type: typeof AggregationType.DROP }
  | { type: typeof AggregationType.SUM }
  | { type: typeof AggregationType.LAST_VALUE }
  | {
      type: typeof AggregationType.EXPLICIT_BUCKET_HISTOGRAM;
      options?: { boundaries: number[]; recordMinMax?: boolean };
    }
  | {
      type: typeof AggregationType.EXPONENTIAL_HISTOGRAM;
      options?: { maxSize?: number; recordMinMax?: boolean };
    };

/**
 * The reader contract, matched by shape: `MetricReader` subclasses from any copy of
 * sdk-metrics (PrometheusExporter, PeriodicExportingMetricReader, ...) satisfy it.
 */
export interface IMetricReader {
  setMetricProducer(metricProducer: MetricProducer): void;
  selectAggregation(instrumentType: InstrumentType): AggregationOption;
  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality;
  selectCardinalityLimit?(instrumentType: InstrumentType): number;
  collect(options?: { timeoutMillis?: number }): Promise<CollectionResult>;
  shutdown(options?: { timeoutMillis?: number }): Promise<void>;
  forceFlush(options?: { timeoutMillis?: number }): Promise<void>;
}

export interface IAttributesProcessor {
  process(incoming: Attributes, context?: Context): Attributes;
}

/** The `ViewOptions` of sdk-metrics 2.x/3.x, accepted as is. */
export interface ViewOptions {
  name?: string;
  description?: string;
  attributesProcessors?: IAttributesProcessor[];
  aggregation?: AggregationOption;
  aggregationCardinalityLimit?: number;
  instrumentType?: InstrumentType;
  instrumentName?: string;
  instrumentUnit?: string;
  meterName?: string;
  meterVersion?: string;
  meterSchemaUrl?: string;
}
