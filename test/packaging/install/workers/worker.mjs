// The worker of usage.mjs: the README's worker code.
import { metrics } from '@opentelemetry/api';
import { workerData } from 'node:worker_threads';
import { createWorkerMeterProvider } from '@fastmeter/workers';

metrics.setGlobalMeterProvider(createWorkerMeterProvider(workerData.metrics)); // before any getMeter()

// Everywhere in the worker: the standard API, unchanged.
const jobs = metrics.getMeter('jobs').createCounter('jobs.processed');
jobs.add(1, { 'job.type': 'resize' });
jobs.add(2, { 'job.type': 'resize' });
