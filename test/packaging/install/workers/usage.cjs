// @fastmeter/workers as an installed application uses it (README "Usage"), from CommonJS:
// the main thread here, the worker in worker.cjs. See usage.mjs.
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { join } = require('node:path');
const { Worker } = require('node:worker_threads');
const { metrics } = require('@opentelemetry/api');
const { FastMeterProvider } = require('@fastmeter/sdk');
const { attachWorkerMetrics } = require('@fastmeter/workers');
const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');

async function main() {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new FastMeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  const shared = attachWorkerMetrics(provider);

  const worker = new Worker(join(__dirname, 'worker.cjs'), { workerData: { metrics: shared.handle } });
  shared.track(worker);
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
  console.log('workers usage.cjs: ok');
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
