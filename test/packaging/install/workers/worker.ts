// @fastmeter/workers' README usage (worker side), type-checked. Not run: worker.mjs is.
import { metrics } from '@opentelemetry/api';
import { workerData } from 'node:worker_threads';
import { createWorkerMeterProvider } from '@fastmeter/workers';

metrics.setGlobalMeterProvider(createWorkerMeterProvider(workerData.metrics));
metrics.getMeter('jobs').createCounter('jobs.processed').add(1, { 'job.type': 'resize' });
