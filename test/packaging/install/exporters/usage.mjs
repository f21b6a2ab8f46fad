// @fastmeter/exporters as an installed application uses it (README "Usage"), as ES modules:
// the fast Prometheus endpoint (served here from our own server on 127.0.0.1 port 0) and the
// fast OTLP/HTTP path to a loopback receiver.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { FastPrometheusExporter } from '@fastmeter/exporters';
import { FastOTLPMetricExporter, FastPeriodicExportingMetricReader } from '@fastmeter/exporters/otlp';

// A receiver standing in for the collector.
const bodies = [];
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    bodies.push({ type: req.headers['content-type'], body: Buffer.concat(chunks) });
    res.end();
  });
}).listen(0, '127.0.0.1');
await once(receiver, 'listening');

const prometheus = new FastPrometheusExporter({ preventServerStart: true });
const otlp = new FastPeriodicExportingMetricReader({
  exporter: new FastOTLPMetricExporter({ url: `http://127.0.0.1:${receiver.address().port}/v1/metrics` }),
  exportIntervalMillis: 60_000,
});
const provider = new FastMeterProvider({ readers: [prometheus, otlp] });
metrics.setGlobalMeterProvider(provider);

const requests = metrics.getMeter('app').createCounter('http.requests');
requests.add(3, { route: '/a' });

const server = createServer((req, res) => prometheus.getMetricsRequestHandler(req, res)).listen(0, '127.0.0.1');
await once(server, 'listening');
const text = await (await fetch(`http://127.0.0.1:${server.address().port}/metrics`)).text();
assert.match(text, /^http_requests_total\{route="\/a",otel_scope_name="app"\} 3$/m);
const om = await fetch(`http://127.0.0.1:${server.address().port}/metrics`, { headers: { accept: 'application/openmetrics-text' } });
assert.match(om.headers.get('content-type'), /^application\/openmetrics-text/);
assert.ok((await om.text()).endsWith('# EOF\n'));

await otlp.forceFlush();
assert.equal(bodies.length, 1);
assert.equal(bodies[0].type, 'application/x-protobuf');
assert.ok(bodies[0].body.includes(Buffer.from('http.requests')));

await provider.shutdown();
server.close();
receiver.close();
console.log('@fastmeter/exporters (ESM): ok');
