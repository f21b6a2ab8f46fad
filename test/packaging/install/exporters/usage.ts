// @fastmeter/exporters' declarations, checked with tsc --strict (module nodenext).
import { FastMeterProvider } from '@fastmeter/sdk';
import { FastPrometheusExporter, type FastPrometheusExporterOptions, type ScrapeStats } from '@fastmeter/exporters';
import {
  AggregationTemporalityPreference,
  FastOTLPMetricExporter,
  type FastOTLPMetricExporterOptions,
  FastPeriodicExportingMetricReader,
} from '@fastmeter/exporters/otlp';

const options: FastPrometheusExporterOptions = { port: 9464, prefix: 'app', withoutScopeInfo: true, sliceBudgetMillis: 5, preventServerStart: true };
const prometheus = new FastPrometheusExporter(options);
const otlpOptions: FastOTLPMetricExporterOptions = {
  url: 'http://127.0.0.1:4318/v1/metrics',
  protocol: 'http/protobuf',
  temporalityPreference: AggregationTemporalityPreference.DELTA,
};
const reader = new FastPeriodicExportingMetricReader({ exporter: new FastOTLPMetricExporter(otlpOptions), exportIntervalMillis: 10_000 });
const provider = new FastMeterProvider({ readers: [prometheus, reader] });
const stats: ScrapeStats | undefined = prometheus.lastScrape;
const scraped: Promise<{ contentType: string; body: Buffer }> = prometheus.scrape('application/openmetrics-text');
void stats;
void scraped;
void provider.shutdown();
