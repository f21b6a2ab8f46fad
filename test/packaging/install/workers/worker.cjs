// The worker of usage.cjs: the README's worker code, from CommonJS.
const { metrics } = require('@opentelemetry/api');
const { workerData } = require('node:worker_threads');
const { createWorkerMeterProvider } = require('@fastmeter/workers');

metrics.setGlobalMeterProvider(createWorkerMeterProvider(workerData.metrics));
const jobs = metrics.getMeter('jobs').createCounter('jobs.processed');
jobs.add(1, { 'job.type': 'resize' });
jobs.add(2, { 'job.type': 'resize' });
