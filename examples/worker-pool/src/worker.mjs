// A pool thread: joins the main thread's shared metrics, registers the worker
// provider as this thread's global MeterProvider, then runs jobs.
import { metrics } from '@opentelemetry/api';
import { parentPort, workerData } from 'node:worker_threads';
import { createWorkerMeterProvider } from '@fastmeter/workers';

// Before anything fetches a meter (jobs.mjs does, when imported).
metrics.setGlobalMeterProvider(createWorkerMeterProvider(workerData.metrics));
const { runJob } = await import('./jobs.mjs');

parentPort.on('message', job => {
  parentPort.postMessage({ id: job.id, result: runJob(job) });
});
