// The configuration @fastmeter/node builds a provider from. Both sources, the
// OTEL_* environment variables (env.ts) and an OTEL_CONFIG_FILE (file.ts), are
// turned into this one model first, so they configure exactly the same things
// and "a config file equal to an env setup" exports the same data.
import type { Attributes } from '@opentelemetry/api';
import type { ViewOptions } from '@fastmeter/sdk';

export type Temporality = 'cumulative' | 'delta' | 'lowmemory';
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type HistogramAggregation = 'explicit_bucket_histogram' | 'base2_exponential_bucket_histogram';

/** Per instrument kind, as the configuration schema's `cardinality_limits`. */
export interface CardinalityLimits {
  default?: number;
  counter?: number;
  gauge?: number;
  histogram?: number;
  observable_counter?: number;
  observable_gauge?: number;
  observable_up_down_counter?: number;
  up_down_counter?: number;
}

export interface OtlpExporterConfig {
  kind: 'otlp';
  protocol: OtlpProtocol;
  /** The full URL for http/*, host:port URL for grpc. */
  endpoint: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
  temporality: Temporality;
  defaultHistogramAggregation: HistogramAggregation;
}

export interface ConsoleExporterConfig {
  kind: 'console';
  temporality: Temporality;
  defaultHistogramAggregation: HistogramAggregation;
}

export interface PeriodicReaderConfig {
  kind: 'periodic';
  intervalMillis: number;
  timeoutMillis: number;
  exporter: OtlpExporterConfig | ConsoleExporterConfig;
  cardinalityLimits: CardinalityLimits | undefined;
}

export interface PrometheusReaderConfig {
  kind: 'prometheus';
  host: string;
  port: number;
  withoutScopeInfo: boolean;
  withoutTargetInfo: boolean;
  /**
   * false: no HTTP server of its own; the application serves the exposition
   * on its own port through `running().prometheus.getMetricsRequestHandler`.
   */
  server: boolean;
  /**
   * true: `@fastmeter/exporters`' FastPrometheusExporter (same options, HTTP
   * behaviour and exposition bytes, faster scrapes in event-loop-friendly
   * slices) instead of `@opentelemetry/exporter-prometheus`.
   */
  fast: boolean;
  cardinalityLimits: CardinalityLimits | undefined;
}

export type ReaderConfig = PeriodicReaderConfig | PrometheusReaderConfig;

/**
 * Other fastmeter packages, wired when installed (each loaded by package name,
 * see setup/extensions.ts). `undefined` means "not configured": the package is
 * not loaded.
 */
export interface ExtensionsConfig {
  /** `@fastmeter/ring`: a RingBufferReader added to the readers. */
  ring?: Record<string, unknown>;
  /** `@fastmeter/dashboard`: the live page, fed by the ring. */
  dashboard?: Record<string, unknown>;
  /** `@fastmeter/processors`: measurement processors (sampling, breakers). */
  processors?: Record<string, unknown>;
}

export interface NodeConfig {
  /** OTEL_SDK_DISABLED / `disabled`: nothing is registered. */
  disabled: boolean;
  /** Attributes added to the default resource (service.name, telemetry.sdk.*). */
  resourceAttributes: Attributes;
  resourceSchemaUrl: string | undefined;
  readers: ReaderConfig[];
  views: ViewOptions[];
  attributeValueLengthLimit: number | undefined;
  attributeCountLimit: number | undefined;
  /** Runtime metrics (event loop, heap, GC, process CPU and memory). */
  runtimeMetrics: boolean;
  /** fastmeter's own metrics under the meter `fastmeter`. */
  selfMetrics: boolean;
  extensions: ExtensionsConfig;
  /** Where the configuration came from, for messages: `environment` or the file path. */
  source: string;
}

export const DEFAULTS = {
  exportIntervalMillis: 60_000,
  exportTimeoutMillis: 30_000,
  otlpTimeoutMillis: 10_000,
  otlpHttpEndpoint: 'http://localhost:4318',
  otlpGrpcEndpoint: 'http://localhost:4317',
  prometheusHost: 'localhost',
  prometheusPort: 9464,
} as const;
