// @fastmeter/processors as an installed application uses it (README usage), as an ES module.
// Test stand-in for the README's endpoint: the OTLP exporter pushes to a local receiver.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { AdaptiveSampler, BreakerState, CircuitBreakerExporter } from '@fastmeter/processors';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

const pushed = [];
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    pushed.push(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
}).listen(0, '127.0.0.1');
await once(receiver, 'listening');

const otlp = new CircuitBreakerExporter(new OTLPMetricExporter({ url: `http://127.0.0.1:${receiver.address().port}/v1/metrics` }), { name: 'otlp' });
const provider = new FastMeterProvider({
  processors: [new AdaptiveSampler({ budget: 5_000 }), otlp], // the breaker here: self-metrics, backpressure
  readers: [new PeriodicExportingMetricReader({ exporter: otlp, exportIntervalMillis: 60_000 })],
  selfMetrics: true,
});
metrics.setGlobalMeterProvider(provider);

const latency = metrics.getMeter('checkout').createHistogram('http.server.request.duration', { unit: 's' });
for (let i = 0; i < 100; i++) latency.record(i / 1000, { 'http.route': '/cart' });

await provider.forceFlush();
assert.equal(otlp.state, BreakerState.CLOSED);
assert.ok(
  pushed.some(body => body.includes('"http.server.request.duration"') && body.includes('"fastmeter.breaker.state"')),
  `OTLP receiver got: ${pushed.join('\n')}`,
);
await provider.shutdown();
receiver.closeAllConnections();
receiver.close();
console.log('processors usage.mjs: ok');
