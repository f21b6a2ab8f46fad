// @fastmeter/workers as an installed application uses it (README "Usage"), as ES modules:
// the main thread here, the worker in worker.mjs. The Prometheus exporter does not listen
// (instead of :9464); its collect() is what a scrape would serve.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { metrics } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { attachWorkerMetrics } from '@fastmeter/workers';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

const exporter = new PrometheusExporter({ preventServerStart: true });
const provider = new FastMeterProvider({ readers: [exporter] });
metrics.setGlobalMeterProvider(provider);
const shared = attachWorkerMetrics(provider);

const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { metrics: shared.handle } });
shared.track(worker); // collect and reuse its lane when it exits, even by terminate()
const [code] = await once(worker, 'exit');
assert.equal(code, 0);

const { resourceMetrics, errors } = await exporter.collect();
assert.deepEqual(errors, []);
const metric = resourceMetrics.scopeMetrics.find(s => s.scope.name === 'jobs')?.metrics.find(m => m.descriptor.name === 'jobs.processed');
assert.ok(metric, `jobs.processed is exported: ${JSON.stringify(resourceMetrics.scopeMetrics)}`);
assert.deepEqual(
  metric.dataPoints.map(p => [p.attributes, p.value]),
  [[{ 'job.type': 'resize' }, 3]],
);
shared.close();
await provider.shutdown();
console.log('workers usage.mjs: ok');
