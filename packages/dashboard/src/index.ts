export { OtlpMetricsReceiver, startOtlpReceiver, DEFAULT_MAX_BODY_BYTES, OTLP_METRICS_PATH } from './receiver/receiver.js';
export type { ExportOutcome, OtlpReceiverOptions, ReceiverStats, RunningReceiver } from './receiver/receiver.js';
export type {
  DataPoint,
  ExponentialHistogram,
  Histogram,
  IngestTarget,
  MetricData,
  MetricDescriptor,
  ReceivedResource,
  ResourceMetrics,
  ScopeMetrics,
} from './receiver/types.js';
