// Readers and exporters from the configuration model, built from the standard
// OpenTelemetry packages: exporter-metrics-otlp-proto (http/protobuf, the
// specification's default), exporter-metrics-otlp-http (http/json),
// exporter-metrics-otlp-grpc (grpc, only when the application installed it),
// exporter-prometheus (or, when configured, @fastmeter/exporters'
// FastPrometheusExporter: same options and exposition), and sdk-metrics'
// ConsoleMetricExporter. Each package is loaded only when a reader needs it.
import { AggregationTemporality, AggregationType, InstrumentType, type IMetricReader } from '@fastmeter/sdk';
import type { CardinalityLimits, ConsoleExporterConfig, OtlpExporterConfig, ReaderConfig, Temporality } from '../config/model.js';
import { log } from '../config/report.js';
import { isInstalled, load } from './load.js';

type Ctor<T = unknown> = new (...args: any[]) => T;

const OTLP_PACKAGES = {
  'http/protobuf': '@opentelemetry/exporter-metrics-otlp-proto',
  'http/json': '@opentelemetry/exporter-metrics-otlp-http',
  grpc: '@opentelemetry/exporter-metrics-otlp-grpc',
} as const;

/** AggregationTemporalityPreference of the OTLP exporters (DELTA 0, CUMULATIVE 1, LOWMEMORY 2 in 0.2xx and 0.30x). */
const OTLP_TEMPORALITY = { delta: 0, cumulative: 1, lowmemory: 2 } as const;

/** The specification's temporality selectors (metrics/sdk_exporters/otlp.md), for the console exporter. */
export function temporalitySelector(preference: Temporality): (type: InstrumentType) => AggregationTemporality {
  if (preference === 'cumulative') return () => AggregationTemporality.CUMULATIVE;
  const delta: InstrumentType[] =
    preference === 'delta'
      ? [InstrumentType.COUNTER, InstrumentType.OBSERVABLE_COUNTER, InstrumentType.HISTOGRAM, InstrumentType.GAUGE, InstrumentType.OBSERVABLE_GAUGE]
      : [InstrumentType.COUNTER, InstrumentType.HISTOGRAM];
  return type => (delta.includes(type) ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE);
}

function histogramSelector(kind: OtlpExporterConfig['defaultHistogramAggregation']) {
  if (kind === 'explicit_bucket_histogram') return undefined;
  return (type: InstrumentType) => ({ type: type === InstrumentType.HISTOGRAM ? AggregationType.EXPONENTIAL_HISTOGRAM : AggregationType.DEFAULT });
}

/** Where OTLP goes, for messages. */
export function describeExporter(e: OtlpExporterConfig | ConsoleExporterConfig): string {
  return e.kind === 'console' ? 'console' : `OTLP ${e.protocol} to ${e.endpoint}`;
}

function otlpExporter(config: OtlpExporterConfig): unknown | undefined {
  const name = OTLP_PACKAGES[config.protocol];
  if (config.protocol === 'grpc' && !isInstalled(name)) {
    log(
      'error',
      `OTLP protocol grpc needs ${name}, which is not installed: run \`npm install ${name}\`, or use http/protobuf ` +
        '(OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/protobuf, port 4318). No OTLP exporter was started.',
    );
    return undefined;
  }
  const { OTLPMetricExporter } = load<{ OTLPMetricExporter: Ctor }>(name);
  const options: Record<string, unknown> = {
    url: config.endpoint,
    headers: config.headers,
    timeoutMillis: config.timeoutMillis,
    compression: config.compression,
    temporalityPreference: OTLP_TEMPORALITY[config.temporality],
  };
  const aggregation = histogramSelector(config.defaultHistogramAggregation);
  if (aggregation !== undefined) options.aggregationPreference = aggregation;
  return new OTLPMetricExporter(options);
}

function consoleExporter(config: ConsoleExporterConfig): unknown {
  const { ConsoleMetricExporter } = load<{ ConsoleMetricExporter: Ctor }>('@opentelemetry/sdk-metrics');
  return new ConsoleMetricExporter({ temporalitySelector: temporalitySelector(config.temporality) });
}

const LIMIT_KEY: Record<string, keyof CardinalityLimits> = {
  [InstrumentType.COUNTER]: 'counter',
  [InstrumentType.GAUGE]: 'gauge',
  [InstrumentType.HISTOGRAM]: 'histogram',
  [InstrumentType.OBSERVABLE_COUNTER]: 'observable_counter',
  [InstrumentType.OBSERVABLE_GAUGE]: 'observable_gauge',
  [InstrumentType.OBSERVABLE_UP_DOWN_COUNTER]: 'observable_up_down_counter',
  [InstrumentType.UP_DOWN_COUNTER]: 'up_down_counter',
};

/** The reader's cardinality limits per instrument kind (fastmeter asks readers through selectCardinalityLimit). */
function applyCardinalityLimits(reader: IMetricReader, limits: CardinalityLimits | undefined): void {
  if (limits === undefined) return;
  const fallback = limits.default ?? 2000;
  (reader as { selectCardinalityLimit: (t: InstrumentType) => number }).selectCardinalityLimit = type => limits[LIMIT_KEY[type]] ?? fallback;
}

const FAST_EXPORTERS = '@fastmeter/exporters';

/**
 * PrometheusExporter, or FastPrometheusExporter with FASTMETER_PROMETHEUS_FAST
 * / fastmeter.prometheus_fast (the standard one, after an error message, when
 * @fastmeter/exporters is not installed: metrics are still served).
 */
function prometheusExporterClass(fast: boolean): Ctor<IMetricReader> {
  if (fast) {
    if (isInstalled(FAST_EXPORTERS)) return load<{ FastPrometheusExporter: Ctor<IMetricReader> }>(FAST_EXPORTERS).FastPrometheusExporter;
    log(
      'error',
      `the fast Prometheus exporter needs ${FAST_EXPORTERS}, which is not installed: run \`npm install ${FAST_EXPORTERS}\`. ` +
        'Serving with @opentelemetry/exporter-prometheus instead.',
    );
  }
  return load<{ PrometheusExporter: Ctor<IMetricReader> }>('@opentelemetry/exporter-prometheus').PrometheusExporter;
}

/** Wraps a push exporter (e.g. @fastmeter/processors' circuit breaker); `name` is `otlp` or `console`. */
export type WrapExporter = (exporter: unknown, name: string) => unknown;

/** One reader; undefined (after an error message) when it cannot be built. Never throws. */
export function buildReader(config: ReaderConfig, wrap: WrapExporter = exporter => exporter): IMetricReader | undefined {
  try {
    let reader: IMetricReader;
    if (config.kind === 'prometheus') {
      const PrometheusExporter = prometheusExporterClass(config.fast);
      const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/metrics`;
      reader = new PrometheusExporter(
        {
          host: config.host,
          port: config.port,
          withoutScopeInfo: config.withoutScopeInfo,
          withoutTargetInfo: config.withoutTargetInfo,
          preventServerStart: !config.server,
        },
        (err?: Error) => {
          if (err) log('error', `the Prometheus exporter cannot listen on ${config.host}:${config.port}: ${err.message}. Metrics are not served.`);
          else if (config.server) log('info', `Prometheus metrics on ${url}`);
        },
      );
    } else {
      const built = config.exporter.kind === 'otlp' ? otlpExporter(config.exporter) : consoleExporter(config.exporter);
      if (built === undefined) return undefined;
      const exporter = wrap(built, config.exporter.kind);
      const { PeriodicExportingMetricReader } = load<{ PeriodicExportingMetricReader: Ctor<IMetricReader> }>('@opentelemetry/sdk-metrics');
      reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: config.intervalMillis, exportTimeoutMillis: config.timeoutMillis });
      log('info', `exporting every ${config.intervalMillis} ms: ${describeExporter(config.exporter)}`);
    }
    applyCardinalityLimits(reader, config.cardinalityLimits);
    return reader;
  } catch (err) {
    log('error', `cannot create the ${config.kind === 'prometheus' ? 'Prometheus' : describeExporter(config.exporter)} reader: ${(err as Error).message}`);
    return undefined;
  }
}
