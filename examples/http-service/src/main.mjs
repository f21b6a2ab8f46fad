#!/usr/bin/env node
// Entry point. `node src/main.mjs` runs the service; `--demo` also runs the
// built-in load generator and prints where to look.
//   --port=N            service port (default 8080; 0 picks a free one), env PORT
//   --host=H            bind address (default 127.0.0.1), env HOST
//   --duration=S        stop after S seconds (default: run until Ctrl-C)
//   --dashboard-port=N  the live dashboard's port with --demo (default 9470; 0 when --port=0)
// Telemetry comes from @fastmeter/node (what its register entry does), configured by the
// standard OTEL_* variables (see telemetry.mjs for the demo's defaults). OTLP
// export starts when OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (or
// OTEL_EXPORTER_OTLP_ENDPOINT) is set; OTEL_EXPORTER_OTLP_METRICS_PROTOCOL picks
// http/protobuf (default) or http/json.
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    demo: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    duration: { type: 'string' },
    'dashboard-port': { type: 'string' },
  },
});

// Telemetry first: meters fetched before the global provider is registered stay no-ops.
const { setupTelemetry, shutdown, describeOtlp } = await import('./telemetry.mjs');
const { telemetry, ring } = await setupTelemetry({ dashboard: args.demo });
const { createApp } = await import('./app.mjs');
const { startLoad } = await import('./load.mjs');

const prometheus = telemetry?.prometheus;
const otlp = describeOtlp();

// The demo's showcase: the live dashboard on the ring, its URL printed first.
let dashboard;
if (ring) {
  const { ringSource, serveDashboard } = await import('@fastmeter/dashboard');
  const dashboardPort = Number(args['dashboard-port'] ?? (args.port === '0' ? 0 : 9470));
  dashboard = await serveDashboard({
    source: ringSource(ring),
    port: dashboardPort,
    host: args.host,
    title: 'http-service',
    log: null,
    charts: [{ title: 'Request rate by route', expr: 'sum by (http.route) (rate(http.server.request.duration_count[1m]))', unit: 'requests/s' }],
  }).catch(err => {
    if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') throw err;
    const why = err.code === 'EADDRINUSE' ? 'is in use' : 'needs privileges';
    console.error(`http-service: dashboard port ${dashboardPort} on ${args.host} ${why}: run with --dashboard-port=0 for a free port, or --dashboard-port=N`);
    process.exit(1);
  });
  console.log(`Dashboard: ${dashboard.url}  (live request rate, latency percentiles and fastmeter's health)`);
}
const server = createApp({
  metricsHandler: (req, res) =>
    prometheus ? prometheus.getMetricsRequestHandler(req, res) : res.writeHead(404).end('no Prometheus reader (OTEL_METRICS_EXPORTER)\n'),
  notes: [
    ...(dashboard ? [`Live dashboard: ${dashboard.url}`] : []),
    otlp ? `OTLP push: ${otlp}.` : 'OTLP push: off (set OTEL_EXPORTER_OTLP_METRICS_ENDPOINT to enable it).',
  ],
});
await new Promise(resolve => {
  server.once('error', err => {
    // A taken port is a one-line answer, not a stack.
    if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') throw err;
    const why = err.code === 'EADDRINUSE' ? 'is in use' : 'needs privileges';
    console.error(`http-service: port ${args.port} on ${args.host} ${why}: run with --port=0 for a free port (npm run demo -- --port=0), or --port=N`);
    process.exit(1);
  });
  server.listen(Number(args.port), args.host, resolve);
});
const { port } = server.address();
const base = `http://${args.host}:${port}`;

console.log(`http-service listening on ${base}`);
console.log(`  Start here:         ${base}/ (links to everything below)`);
console.log(`  Prometheus metrics: ${base}/metrics`);
console.log(`  OTLP push:          ${describeOtlp() || 'off (set OTEL_EXPORTER_OTLP_METRICS_ENDPOINT to enable)'}`);

let load;
if (args.demo) {
  load = startLoad({ host: args.host, port });
  console.log('  load generator:     16 concurrent clients (GET /api/users/:id, POST /api/orders, /healthz, 404s)');
}

const summary = setInterval(async () => {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    const count = sumOf(text, /^http_server_request_duration(?:_seconds)?_count\{[^}]*\} (\d+)/gm);
    const orders = sumOf(text, /^app_orders_created_total\{[^}]*\} (\d+)/gm);
    const p95 = quantile(text, 0.95);
    console.log(
      `[${new Date().toISOString()}] requests recorded: ${count}, p95 latency <= ${p95}s, orders: ${orders}` +
        (load ? `, load generator sent: ${load.stats.sent}` : ''),
    );
  } catch (err) {
    console.error(`summary scrape failed: ${err.message}`);
  }
}, 5000);

function sumOf(text, re) {
  let sum = 0;
  for (const m of text.matchAll(re)) sum += Number(m[1]);
  return sum;
}

/** Upper bound of the bucket holding quantile q of all request durations (summed over series). */
function quantile(text, q) {
  const byLe = new Map();
  for (const m of text.matchAll(/^http_server_request_duration(?:_seconds)?_bucket\{.*le="([^"]+)".*\} (\d+)/gm)) {
    byLe.set(m[1], (byLe.get(m[1]) ?? 0) + Number(m[2]));
  }
  const total = byLe.get('+Inf') ?? 0;
  for (const [le, n] of byLe) if (n >= q * total) return le;
  return '+Inf';
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(summary);
  await load?.stop();
  await dashboard?.close();
  await new Promise(resolve => server.close(resolve));
  await shutdown(); // @fastmeter/node: flushes the OTLP reader, stops the Prometheus exporter
  console.log('stopped');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (args.duration) setTimeout(stop, Number(args.duration) * 1000).unref(); // a signal's stop() need not wait for it
