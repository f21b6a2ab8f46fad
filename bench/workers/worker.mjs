// The recording side of bench/workers.mjs: one worker thread, recording with
// fastmeter's worker provider (standard @opentelemetry/api calls) or with its
// own prom-client registry (answering the main thread's scrape messages the
// way prom-client's cluster support does: registry.getMetricsAsJSON()).
import { parentPort, workerData } from 'node:worker_threads';
import { metrics, ValueType } from '@opentelemetry/api';
import { createWorkerMeterProvider } from '@fastmeter/workers';
import prom from 'prom-client';
import { BOUNDS, HV, LABELS, LABEL_NAMES } from './workload.mjs';

const { mode, ops, warmup, combos, chunk } = workerData;
const control = new Int32Array(workerData.control);

// Each loop is its own function (monomorphic call sites), with the same shape for both libraries.
async function fastmeterLoop(counter, histogram, n) {
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + chunk);
    for (; i < end; i++) {
      const o = (i % combos) * 3;
      counter.add(1, { method: LABELS[o], route: LABELS[o + 1], status: LABELS[o + 2] });
      histogram.record(HV[i & 1023], { method: LABELS[o], route: LABELS[o + 1], status: LABELS[o + 2] });
    }
    await new Promise(setImmediate); // yield, as a real worker between tasks
  }
}

async function promLoop(counter, histogram, n) {
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + chunk);
    for (; i < end; i++) {
      const o = (i % combos) * 3;
      counter.inc({ method: LABELS[o], route: LABELS[o + 1], status: LABELS[o + 2] });
      histogram.observe({ method: LABELS[o], route: LABELS[o + 1], status: LABELS[o + 2] }, HV[i & 1023]);
    }
    await new Promise(setImmediate);
  }
}

let loop;
if (mode === 'fastmeter') {
  metrics.setGlobalMeterProvider(createWorkerMeterProvider(workerData.handle));
  const meter = metrics.getMeter('bench');
  const counter = meter.createCounter('bench.requests', { valueType: ValueType.INT });
  const histogram = meter.createHistogram('bench.latency', { advice: { explicitBucketBoundaries: BOUNDS } });
  loop = n => fastmeterLoop(counter, histogram, n);
} else {
  const registry = new prom.Registry();
  const counter = new prom.Counter({ name: 'bench_requests', help: 'h', labelNames: LABEL_NAMES, registers: [registry] });
  const histogram = new prom.Histogram({ name: 'bench_latency', help: 'h', labelNames: LABEL_NAMES, buckets: BOUNDS, registers: [registry] });
  parentPort.on('message', msg => {
    if (msg.type === 'scrape') registry.getMetricsAsJSON().then(json => parentPort.postMessage({ type: 'metrics', id: msg.id, json }));
  });
  loop = n => promLoop(counter, histogram, n);
}

await loop(warmup); // interns every series and warms the JIT before the timed run
parentPort.postMessage({ type: 'ready' });
Atomics.wait(control, 0, 0); // start barrier
const t0 = performance.now();
await loop(ops);
parentPort.postMessage({ type: 'done', ms: performance.now() - t0 });
