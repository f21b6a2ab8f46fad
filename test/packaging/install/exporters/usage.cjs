// @fastmeter/exporters from CommonJS: the same usage as usage.mjs.
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { createServer } = require('node:http');
const { metrics } = require('@opentelemetry/api');
const { FastMeterProvider } = require('@fastmeter/sdk');
const { FastPrometheusExporter } = require('@fastmeter/exporters');
const { FastOTLPMetricExporter, FastPeriodicExportingMetricReader } = require('@fastmeter/exporters/otlp');

async function main() {
  const bodies = [];
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      bodies.push({ type: req.headers['content-type'], body: Buffer.concat(chunks) });
      res.end('{}');
    });
  }).listen(0, '127.0.0.1');
  await once(receiver, 'listening');

  const prometheus = new FastPrometheusExporter({ preventServerStart: true });
  const otlp = new FastPeriodicExportingMetricReader({
    exporter: new FastOTLPMetricExporter({ url: `http://127.0.0.1:${receiver.address().port}/v1/metrics`, protocol: 'http/json' }),
    exportIntervalMillis: 60_000,
  });
  const provider = new FastMeterProvider({ readers: [prometheus, otlp] });
  metrics.setGlobalMeterProvider(provider);
  metrics.getMeter('app').createHistogram('latency', { unit: 'ms' }).record(12, { route: '/a' });

  const { contentType, body } = await prometheus.scrape();
  assert.equal(contentType, 'text/plain');
  assert.match(body.toString(), /^latency_count\{route="\/a",otel_scope_name="app"\} 1$/m);

  await otlp.forceFlush();
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].type, 'application/json');
  const json = JSON.parse(bodies[0].body.toString());
  assert.equal(json.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].count, 1);

  await provider.shutdown();
  receiver.close();
  console.log('@fastmeter/exporters (CommonJS): ok');
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
