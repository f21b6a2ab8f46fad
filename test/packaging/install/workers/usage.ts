// @fastmeter/workers' README usage (main thread), type-checked as an application's TypeScript
// (tsc --strict, nodenext). Not run: usage.mjs runs the same code.
import { Worker } from 'node:worker_threads';
import { metrics } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { attachWorkerMetrics, isWorkerMetricsHandle, type WorkerMetrics, type WorkerMetricsOptions } from '@fastmeter/workers';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

const provider = new FastMeterProvider({ readers: [new PrometheusExporter({ port: 9464 })] });
metrics.setGlobalMeterProvider(provider);
const options: WorkerMetricsOptions = { maxThreads: 4, threadAttribute: 'thread.id' };
const shared: WorkerMetrics = attachWorkerMetrics(provider, options);

const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { metrics: shared.handle } });
shared.track(worker);
const handleOk: boolean = isWorkerMetricsHandle(shared.handle);
const stats = shared.stats();
shared.collect();
shared.close();
export { handleOk, stats };
