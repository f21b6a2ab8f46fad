// @fastmeter/cluster as an installed application uses it (README "Usage"), as ES modules: this file
// is the primary and, forked by node:cluster, each worker. The Prometheus exporter does not listen
// (instead of :9464); its collect() is what a scrape would serve.
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { once } from 'node:events';
import { metrics } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { ClusterWorker, attachClusterMetrics } from '@fastmeter/cluster';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

if (cluster.isPrimary) {
  setTimeout(() => {
    console.error('cluster usage.mjs: timed out');
    process.exit(1);
  }, 30_000).unref();
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new FastMeterProvider({ readers: [exporter] });
  const clusterMetrics = attachClusterMetrics(provider);
  const workers = [cluster.fork(), cluster.fork()];
  for (const [code] of await Promise.all(workers.map(w => once(w, 'exit')))) assert.equal(code, 0);

  const { resourceMetrics, errors } = await exporter.collect();
  assert.deepEqual(errors, []);
  const metric = resourceMetrics.scopeMetrics.find(s => s.scope.name === 'web')?.metrics.find(m => m.descriptor.name === 'http.server.requests');
  assert.ok(metric, `http.server.requests is exported: ${JSON.stringify(resourceMetrics.scopeMetrics)}`);
  assert.deepEqual(
    metric.dataPoints.map(p => [p.attributes, p.value]),
    [[{ 'http.route': '/' }, 6]],
  );
  assert.equal(clusterMetrics.stats().exited, 2);
  clusterMetrics.close();
  await provider.shutdown();
  console.log('cluster usage.mjs: ok');
} else {
  const provider = new FastMeterProvider({ readers: [new ClusterWorker()] });
  metrics.setGlobalMeterProvider(provider);
  const requests = metrics.getMeter('web').createCounter('http.server.requests');
  for (let i = 0; i < 3; i++) requests.add(1, { 'http.route': '/' });
  await provider.shutdown(); // the last sync, written to the channel before it resolves
  process.exit(0);
}
