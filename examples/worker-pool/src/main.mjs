#!/usr/bin/env node
// A pool of worker_threads doing CPU work. The pool threads record with the
// standard OpenTelemetry API (src/jobs.mjs) into shared memory; the main
// thread's FastMeterProvider exports everything through the standard
// PrometheusExporter, served on 127.0.0.1. No message per measurement: the
// workers' totals are read from shared memory when Prometheus scrapes.
//
//   node examples/worker-pool/src/main.mjs [options]
//     --workers=N         pool threads (default 4)
//     --port=N            metrics port (default 9464; 0 picks a free one)
//     --host=H            bind address (default 127.0.0.1)
//     --jobs=N            submit N jobs, then idle (default: run until stopped)
//     --recycle-every=N   replace a pool thread after every N finished jobs (default 2000; 0 = never)
//     --duration=S        stop after S seconds
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { metrics, ValueType } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { FastMeterProvider } from '@fastmeter/sdk';
import { attachWorkerMetrics } from '@fastmeter/workers';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '4' },
    port: { type: 'string', default: process.env.PORT ?? '9464' },
    host: { type: 'string', default: '127.0.0.1' },
    jobs: { type: 'string' },
    'recycle-every': { type: 'string', default: '2000' },
    duration: { type: 'string' },
  },
});
const POOL_SIZE = Number(args.workers);
const JOB_LIMIT = args.jobs === undefined ? Number.POSITIVE_INFINITY : Number(args.jobs);
const RECYCLE_EVERY = Number(args['recycle-every']);

// 1. The main thread's provider, with the standard Prometheus exporter as its reader.
const prometheus = new PrometheusExporter({ preventServerStart: true });
const provider = new FastMeterProvider({
  resource: resourceFromAttributes({ 'service.name': 'worker-pool', 'service.version': '1.0.0' }),
  readers: [prometheus],
});
metrics.setGlobalMeterProvider(provider);

// 2. Shared memory for the pool threads' instruments; its handle goes to every thread in workerData.
const shared = attachWorkerMetrics(provider);

// The main thread's own instruments live on the same provider and are exported together.
const meter = metrics.getMeter('worker-pool', '1.0.0');
const submitted = meter.createCounter('pool.jobs.submitted', { valueType: ValueType.INT });
const recycled = meter.createCounter('pool.threads.recycled', { valueType: ValueType.INT });
const queueDepth = meter.createObservableGauge('pool.queue.depth', { valueType: ValueType.INT });

class Pool {
  constructor(size) {
    this.idle = [];
    this.queue = [];
    this.busy = new Map();
    this.completed = 0;
    this.nextId = 0;
    this.stopping = false;
    for (let i = 0; i < size; i++) this.spawn();
  }

  spawn() {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { metrics: shared.handle } });
    shared.track(worker); // when it exits, however it exits, its lane is collected and reused
    worker.on('message', ({ id }) => this.done(worker, id));
    worker.on('error', err => console.error(`pool thread ${worker.threadId} failed: ${err.message}`));
    this.idle.push(worker);
  }

  submit(job) {
    submitted.add(1, { 'job.type': job.type });
    this.queue.push({ ...job, id: this.nextId++ });
    this.dispatch();
  }

  dispatch() {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop();
      const job = this.queue.shift();
      this.busy.set(worker, job);
      worker.postMessage(job);
    }
  }

  done(worker, id) {
    if (this.busy.get(worker)?.id !== id) return;
    this.busy.delete(worker);
    this.completed++;
    if (RECYCLE_EVERY > 0 && this.completed % RECYCLE_EVERY === 0 && !this.stopping) {
      // Threads come and go: the retired thread's totals stay in the export.
      recycled.add(1);
      worker.terminate();
      this.spawn();
    } else {
      this.idle.push(worker);
    }
    this.dispatch();
    onProgress();
  }

  async stop() {
    this.stopping = true;
    this.queue.length = 0;
    await Promise.all([...this.idle, ...this.busy.keys()].map(w => w.terminate()));
  }
}

const pool = new Pool(POOL_SIZE);
queueDepth.addCallback(result => result.observe(pool.queue.length));

let sent = 0;
function refill() {
  while (sent < JOB_LIMIT && pool.queue.length < POOL_SIZE * 2) {
    const type = sent % 3 === 0 ? 'hash' : 'primes';
    pool.submit({ type, size: type === 'hash' ? 20_000 + (sent % 7) * 5_000 : 2_000 + (sent % 11) * 300 });
    sent++;
  }
}
let announced = false;
function onProgress() {
  refill();
  if (!announced && pool.completed >= JOB_LIMIT) {
    announced = true;
    console.log(`all ${JOB_LIMIT} jobs done`);
  }
}

// 3. Prometheus scrapes the main thread; the collection pulls the pool threads' shared memory first.
const server = http.createServer((req, res) => {
  if (req.url === '/metrics') return prometheus.getMetricsRequestHandler(req, res);
  res.statusCode = 404;
  res.end('try /metrics\n');
});
await new Promise(resolve => server.listen(Number(args.port), args.host, resolve));
const url = `http://${args.host}:${server.address().port}/metrics`;
console.log(`worker-pool: ${POOL_SIZE} threads, recording with @opentelemetry/api into shared memory`);
console.log(`  Prometheus metrics: ${url}`);
console.log('  look for jobs_processed_total, jobs_duration_bucket, jobs_in_flight, pool_jobs_submitted_total');
refill();

const summary = setInterval(async () => {
  try {
    const text = await (await fetch(url)).text();
    const processed = sum(text, /^jobs_processed_total\{[^}]*\} (\d+)/gm);
    const stats = shared.stats();
    console.log(
      `[${new Date().toISOString()}] jobs finished: ${pool.completed}, jobs_processed_total: ${processed}, threads joined: ${stats.joins}, lanes in use: ${stats.lanes.active}/${stats.lanes.capacity}`,
    );
  } catch (err) {
    console.error(`summary scrape failed: ${err.message}`);
  }
}, 5000);

function sum(text, re) {
  let n = 0;
  for (const m of text.matchAll(re)) n += Number(m[1]);
  return n;
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(summary);
  await pool.stop();
  await new Promise(resolve => server.close(resolve));
  shared.close();
  await provider.shutdown();
  console.log('stopped');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (args.duration) setTimeout(stop, Number(args.duration) * 1000);
