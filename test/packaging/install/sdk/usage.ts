// @fastmeter/sdk's README usage, type-checked as an application's TypeScript (tsc --strict,
// nodenext). Not run: usage.mjs runs the same code.
import { metrics, type Counter } from '@opentelemetry/api';
import { FastMeterProvider, bind, removeSeries, type FastMeterProviderOptions } from '@fastmeter/sdk';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';

const options: FastMeterProviderOptions = {
  resource: resourceFromAttributes({ 'service.name': 'checkout' }),
  views: [{ instrumentName: 'http.server.request.duration', aggregationCardinalityLimit: 500 }],
  readers: [new PrometheusExporter({ port: 9464 }), new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })],
};
const provider = new FastMeterProvider(options);
metrics.setGlobalMeterProvider(provider);

const meter = metrics.getMeter('checkout');
const requests: Counter = meter.createCounter('http.server.requests');
requests.add(1, { 'http.request.method': 'GET', 'http.route': '/cart' });

const hits = bind(requests, { 'cache.result': 'hit' });
hits.add(1);
hits.unbind();
const removed: boolean = removeSeries(requests, { 'cache.result': 'hit' });

await provider.forceFlush();
await provider.shutdown();
export { removed };
