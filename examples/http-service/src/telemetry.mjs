// Telemetry setup: the only fastmeter-specific file of the service. Everything
// else uses @opentelemetry/api. Swapping sdk-metrics' MeterProvider for
// FastMeterProvider is the whole migration: same options, same readers.
import { metrics } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader, createAllowListAttributesProcessor } from '@opentelemetry/sdk-metrics';

/**
 * Registers a FastMeterProvider as the global meter provider.
 * - Prometheus: always; `/metrics` is served by the service itself through
 *   `prometheus.getMetricsRequestHandler` (see app.mjs).
 * - OTLP/HTTP: when OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set (the exporter reads
 *   the endpoint, headers and temporality preference from the standard variables).
 */
export function setupTelemetry({ serviceName = 'http-service', exportIntervalMillis = 10_000 } = {}) {
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers = [prometheus];
  const otlpEndpoint = process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  if (otlpEndpoint) {
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis }));
  }
  const provider = new FastMeterProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.version': '1.0.0' }),
    views: [
      // Standard sdk-metrics ViewOptions: the size histogram keeps only method and route.
      {
        instrumentName: 'http.server.response.body.size',
        attributesProcessors: [createAllowListAttributesProcessor(['http.request.method', 'http.route'])],
      },
    ],
    readers,
  });
  metrics.setGlobalMeterProvider(provider);
  return { provider, prometheus, otlpEndpoint };
}
