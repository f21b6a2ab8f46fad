export { bind, type BoundCounter, type BoundHistogram, type HistogramDelta } from './api/bind.js';
export { FastMeterProvider, type FastMeterProviderOptions } from './api/provider.js';
export { removeSeries } from './api/remove.js';
export { type EndTimer, type TimerTarget, errorType, startTimer, time } from './api/timer.js';
export type { MeasurementProcessor, ProcessorContext, ProcessorHost, WeightedRecordFunction } from './api/processor.js';
export type { CollectHook } from './api/state.js';
export type { RecordFunction } from './api/record.js';
export { TimeoutError } from './collect/timeout.js';
export { AggregationTemporality, AggregationType, DataPointType, InstrumentType } from './common/enums.js';
export { ErrorCode, FastMeterConfigError } from './common/errors.js';
export { DropReason } from './common/health.js';
export type {
  AggregationOption,
  CollectionResult,
  DataPoint,
  ExponentialHistogram,
  ExponentialHistogramMetricData,
  GaugeMetricData,
  Histogram,
  HistogramMetricData,
  IAttributesProcessor,
  IMetricReader,
  InstrumentDescriptor,
  InstrumentationScope,
  MetricCollectOptions,
  MetricData,
  MetricDescriptor,
  MetricProducer,
  Resource,
  ResourceMetrics,
  ScopeMetrics,
  SumMetricData,
  ViewOptions,
} from './common/types.js';
export { createAllowListAttributesProcessor, createDenyListAttributesProcessor } from './view/attributes-processor.js';
