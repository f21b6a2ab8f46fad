// @fastmeter/exporters/otlp: the OTLP/HTTP path (needs @opentelemetry/otlp-exporter-base).
export {
  AggregationTemporalityPreference,
  type ExportResult,
  ExportResultCode,
  FastOTLPMetricExporter,
  type FastOTLPMetricExporterOptions,
  type OtlpProtocol,
} from './otlp/exporter.js';
export {
  type CardinalityLimits,
  FastPeriodicExportingMetricReader,
  type FastPeriodicExportingMetricReaderOptions,
  type PushMetricExporter,
} from './otlp/reader.js';
