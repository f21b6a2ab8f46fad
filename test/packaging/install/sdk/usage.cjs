// @fastmeter/sdk as an installed application uses it (README "Usage"), from CommonJS.
// Test stand-ins for the README's endpoints: see usage.mjs.
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { createServer } = require('node:http');
const { metrics } = require('@opentelemetry/api');
const { FastMeterProvider, bind } = require('@fastmeter/sdk');
const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http');
const { PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');

async function main() {
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
  metrics.setGlobalMeterProvider(provider);

  const requests = metrics.getMeter('checkout').createCounter('http.server.requests');
  requests.add(1, { 'http.request.method': 'GET', 'http.route': '/cart' });
  bind(requests, { 'http.request.method': 'GET', 'http.route': '/cart' }).add(2);

  const text = await (await fetch(`http://127.0.0.1:${scrape.address().port}/metrics`)).text();
  assert.match(text, /^http_server_requests(_total)?\{[^}]*http_route="\/cart"[^}]*\} 3\b/m, text);

  await provider.shutdown();
  assert.ok(
    pushed.some(body => body.includes('"http.server.requests"') && body.includes('checkout')),
    `OTLP receiver got: ${pushed.join('\n')}`,
  );
  receiver.closeAllConnections();
  receiver.close();
  scrape.close();
  console.log('sdk usage.cjs: ok');
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
