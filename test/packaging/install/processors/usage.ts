// @fastmeter/processors' README usage, type-checked as an application's TypeScript (tsc --strict,
// nodenext). Not run: usage.mjs runs the same code.
import { metrics, type Histogram } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import {
  AdaptiveSampler,
  type AdaptiveSamplerOptions,
  BreakerState,
  type BreakerStats,
  CircuitBreakerExporter,
  type CircuitBreakerOptions,
  nodeSetup,
} from '@fastmeter/processors';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

const breakerOptions: CircuitBreakerOptions = { name: 'otlp', failureThreshold: 3, backoff: { initialMillis: 5_000, maxMillis: 60_000 } };
const otlp = new CircuitBreakerExporter(new OTLPMetricExporter(), breakerOptions);
const samplerOptions: AdaptiveSamplerOptions = { budget: instrument => (instrument.name.startsWith('http.') ? 5_000 : 1_000), totalBudget: 20_000 };
const provider = new FastMeterProvider({
  processors: [new AdaptiveSampler(samplerOptions), otlp],
  readers: [new PeriodicExportingMetricReader({ exporter: otlp })],
  selfMetrics: true,
});
metrics.setGlobalMeterProvider(provider);

const latency: Histogram = metrics.getMeter('checkout').createHistogram('http.server.request.duration');
latency.record(0.012, { 'http.route': '/cart' });
const stats: BreakerStats = otlp.stats();
const open: boolean = otlp.state === BreakerState.OPEN || stats.state === BreakerState.OPEN;
const extension = nodeSetup({ sampler: { budget: 100 } });
extension.wrapExporter(new OTLPMetricExporter(), 'otlp');

await provider.shutdown();
export { open };
