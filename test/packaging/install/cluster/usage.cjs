// @fastmeter/cluster as an installed application uses it (README "Usage"), from CommonJS. See usage.mjs.
const assert = require('node:assert/strict');
const cluster = require('node:cluster');
const { once } = require('node:events');
const { metrics } = require('@opentelemetry/api');
const { FastMeterProvider } = require('@fastmeter/sdk');
const { ClusterWorker, attachClusterMetrics } = require('@fastmeter/cluster');
const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');

async function primary() {
  setTimeout(() => {
    console.error('cluster usage.cjs: timed out');
    process.exit(1);
  }, 30_000).unref();
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new FastMeterProvider({ readers: [exporter] });
  const clusterMetrics = attachClusterMetrics(provider, { workerAttribute: 'pid' });
  const workers = [cluster.fork(), cluster.fork()];
  const pids = workers.map(w => w.process.pid).sort();
  for (const [code] of await Promise.all(workers.map(w => once(w, 'exit')))) assert.equal(code, 0);

  const { resourceMetrics, errors } = await exporter.collect();
  assert.deepEqual(errors, []);
  const metric = resourceMetrics.scopeMetrics.find(s => s.scope.name === 'web')?.metrics.find(m => m.descriptor.name === 'http.server.requests');
  assert.ok(metric, `http.server.requests is exported: ${JSON.stringify(resourceMetrics.scopeMetrics)}`);
  // Per-worker series: one per process.pid, 3 each.
  assert.deepEqual(metric.dataPoints.map(p => p.attributes['process.pid']).sort(), pids);
  assert.deepEqual(
    metric.dataPoints.map(p => p.value),
    [3, 3],
  );
  clusterMetrics.close();
  await provider.shutdown();
  console.log('cluster usage.cjs: ok');
}

async function worker() {
  const provider = new FastMeterProvider({ readers: [new ClusterWorker()] });
  metrics.setGlobalMeterProvider(provider);
  const requests = metrics.getMeter('web').createCounter('http.server.requests');
  for (let i = 0; i < 3; i++) requests.add(1, { 'http.route': '/' });
  await provider.shutdown();
  process.exit(0);
}

(cluster.isPrimary ? primary() : worker()).catch(err => {
  console.error(err);
  process.exit(1);
});
