// @fastmeter/sdk as an installed application uses it (README "Usage"), as an ES module.
// Test stand-ins for the README's endpoints: the Prometheus exporter's handler is served from
// a server on a free port (instead of :9464), and the OTLP exporter pushes to a local receiver.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { FastMeterProvider, bind } from '@fastmeter/sdk';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';

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
const prometheus = new PrometheusExporter({ preventServerStart: true });
const scrape = createServer((req, res) => prometheus.getMetricsRequestHandler(req, res)).listen(0, '127.0.0.1');
await once(scrape, 'listening');

const provider = new FastMeterProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout' }),
  views: [{ instrumentName: 'http.server.request.duration', aggregationCardinalityLimit: 500 }],
  readers: [
    prometheus,
    new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `http://127.0.0.1:${receiver.address().port}/v1/metrics` }),
      exportIntervalMillis: 60_000,
    }),
  ],
});
metrics.setGlobalMeterProvider(provider); // before any meter is fetched

// Everywhere else: the standard API, unchanged.
const meter = metrics.getMeter('checkout');
const requests = meter.createCounter('http.server.requests');
requests.add(1, { 'http.request.method': 'GET', 'http.route': '/cart' });
const cart = bind(requests, { 'http.request.method': 'GET', 'http.route': '/cart' });
cart.add(2);

const text = await (await fetch(`http://127.0.0.1:${scrape.address().port}/metrics`)).text();
assert.match(text, /^http_server_requests(_total)?\{[^}]*http_route="\/cart"[^}]*\} 3\b/m, text);

await provider.shutdown(); // flushes the OTLP reader: one push to the receiver
assert.ok(
  pushed.some(body => body.includes('"http.server.requests"') && body.includes('checkout')),
  `OTLP receiver got: ${pushed.join('\n')}`,
);
receiver.closeAllConnections();
receiver.close();
scrape.close();
console.log('sdk usage.mjs: ok');
