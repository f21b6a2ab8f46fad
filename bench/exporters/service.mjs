// A small instrumented HTTP service for bench/exporters.mjs (run as a child
// process): every request records a counter and a histogram with 3 attributes
// and answers a few bytes; SERIES extra counter series exist from the start, so
// every scrape of /metrics (on a second port) serialises them all.
//
//   node service.mjs <fast|standard|sdk-metrics> <series>
// prints one JSON line {"app": port, "metrics": port} once both servers listen;
// stops on SIGTERM.
import { createServer } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { FastPrometheusExporter } from '@fastmeter/exporters';

const [mode, seriesArg] = process.argv.slice(2);
const SERIES = Number(seriesArg);
const LIMIT = SERIES + 1000;
// A view raises the cardinality limit for every instrument, on both SDKs and for every exporter.
const views = [{ instrumentName: '*', aggregationCardinalityLimit: LIMIT }];

const exporter =
  mode === 'fast'
    ? new FastPrometheusExporter({ host: '127.0.0.1', port: 1, preventServerStart: true })
    : new PrometheusExporter({ host: '127.0.0.1', port: 1, preventServerStart: true });
const provider = mode === 'sdk-metrics' ? new MeterProvider({ views, readers: [exporter] }) : new FastMeterProvider({ views, readers: [exporter] });
metrics.setGlobalMeterProvider(provider);
const meter = metrics.getMeter('bench-service');
const background = meter.createCounter('background.items');
for (let i = 0; i < SERIES; i++) background.add(1, { shard: `s${i % 100}`, key: `k${Math.floor(i / 100)}`, kind: 'warm' });
const requests = meter.createCounter('http.server.requests');
const duration = meter.createHistogram('http.server.duration', { unit: 'ms' });

const app = createServer((req, res) => {
  const start = performance.now();
  const attrs = { method: req.method ?? 'GET', route: '/work', status: 200 };
  requests.add(1, attrs);
  res.end('ok');
  duration.record(performance.now() - start, attrs);
});
const scrapes = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
await Promise.all([app, scrapes].map(s => new Promise(resolve => s.listen(0, '127.0.0.1', resolve))));
console.log(JSON.stringify({ app: app.address().port, metrics: scrapes.address().port }));
process.on('SIGTERM', () => {
  app.close();
  scrapes.close();
  process.exit(0);
});
