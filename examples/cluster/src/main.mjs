#!/usr/bin/env node
// A node:cluster fleet with one Prometheus endpoint. Every worker records with the
// standard OpenTelemetry API into its own FastMeterProvider (src/worker.mjs); the
// primary merges what they send (@fastmeter/cluster) into its provider, whose
// PrometheusExporter serves the combined set on 127.0.0.1. The same instrument and
// attributes in any worker is one series; a worker replaced by a new one keeps
// what it recorded in the totals.
//
//   node examples/cluster/src/main.mjs [options]
//     --workers=N        worker processes (default 4)
//     --port=N           metrics port (default 9464; 0 picks a free one)
//     --http-port=N      the fleet's HTTP port (default 8080; 0 picks a free one)
//     --requests=N       send N requests through the built-in load generator, then idle
//     --recycle-every=N  retire a worker and fork a replacement after every N requests (default 0: never)
//     --duration=S       stop after S seconds
import cluster from 'node:cluster';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ValueType, metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { FastMeterProvider } from '@fastmeter/sdk';
import { attachClusterMetrics } from '@fastmeter/cluster';
import { sendLoad } from './load.mjs';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '4' },
    port: { type: 'string', default: process.env.PORT ?? '9464' },
    'http-port': { type: 'string', default: '8080' },
    requests: { type: 'string' },
    'recycle-every': { type: 'string', default: '0' },
    duration: { type: 'string' },
  },
});
const WORKERS = Number(args.workers);
const RECYCLE_EVERY = Number(args['recycle-every']);

// 1. The primary's provider and its Prometheus exporter (served below on 127.0.0.1).
const prometheus = new PrometheusExporter({ preventServerStart: true });
const provider = new FastMeterProvider({
  resource: resourceFromAttributes({ 'service.name': 'cluster-example', 'service.version': '1.0.0' }),
  readers: [prometheus],
});
metrics.setGlobalMeterProvider(provider);

// 2. Workers' metrics merge into it; fastmeter.cluster.* report on the fleet itself.
const fleet = attachClusterMetrics(provider, { selfMetrics: true });

// The primary's own instruments are exported with the workers' series.
const meter = metrics.getMeter('example.cluster.primary', '1.0.0');
const retired = meter.createCounter('fleet.workers.retired', { description: 'Workers replaced by a new one.', valueType: ValueType.INT });
meter.createObservableGauge('fleet.workers', { description: 'Worker processes alive.', valueType: ValueType.INT }).addCallback(r => {
  r.observe(Object.keys(cluster.workers ?? {}).length);
});

// 3. The workers: an HTTP service each, sharing one port.
cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker.mjs', import.meta.url)) });
let stopping = false;
// Every worker listens on the same port argument (0 included: node:cluster then gives all of them the
// same free port, shared by the primary's one listening socket).
const fork = () => cluster.fork({ HTTP_PORT: args['http-port'] });
const firstListening = new Promise(resolve => cluster.once('listening', (_, address) => resolve(address.port)));
cluster.on('exit', (worker, code, signal) => {
  if (stopping) return;
  if (!worker.exitedAfterRetire) console.error(`worker ${worker.id} (pid ${worker.process.pid}) died (${signal ?? code}); forking a replacement`);
  fork();
});
for (let i = 0; i < WORKERS; i++) fork();
const httpPort = await firstListening;
await Promise.all(Object.values(cluster.workers).map(w => (w.isConnected() && w.state === 'listening' ? null : new Promise(r => w.once('listening', r)))));

/** Replaces the oldest worker: it sends its last sync and exits; a new one takes its place. */
function retireOne() {
  const oldest = Object.values(cluster.workers).find(w => w.isConnected());
  if (oldest === undefined) return;
  oldest.exitedAfterRetire = true;
  retired.add(1);
  oldest.send({ cmd: 'retire' });
}

const server = http.createServer((req, res) => {
  if (req.url === '/metrics') return prometheus.getMetricsRequestHandler(req, res);
  res.writeHead(404).end('try /metrics\n');
});
await new Promise(resolve => server.listen(Number(args.port), '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/metrics`;
console.log(`cluster example: ${WORKERS} workers serving http://127.0.0.1:${httpPort}/api/items, recording with @opentelemetry/api`);
console.log(`  Prometheus metrics (all workers + primary): ${url}`);
console.log('  look for http_server_requests_total, http_server_request_duration_bucket, shop_items_sold_total, fastmeter_cluster_workers');

if (args.requests !== undefined) {
  const count = Number(args.requests);
  const tally = await sendLoad(httpPort, count, { onEach: done => RECYCLE_EVERY > 0 && done % RECYCLE_EVERY === 0 && done < count && retireOne() });
  await fleet.flush(2000); // what the workers recorded since their last sync
  console.log(`all ${count} requests done: ${JSON.stringify(tally)}`);
}

const summary = setInterval(() => {
  const s = fleet.stats();
  console.log(`[${new Date().toISOString()}] workers sending: ${s.workers.length}, syncs: ${s.syncs}, series: ${s.series}, exited: ${s.exited}`);
}, 10_000);
summary.unref();

async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(summary);
  for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
  await new Promise(resolve => server.close(resolve));
  fleet.close();
  await provider.shutdown();
  console.log('stopped');
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (args.duration) setTimeout(stop, Number(args.duration) * 1000);
