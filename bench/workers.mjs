#!/usr/bin/env node
// @fastmeter/workers benchmark: recording throughput with 1, 2 and 4 worker
// threads against one thread, for fastmeter (shared memory, pulled at collect)
// and prom-client (a registry per worker, aggregated by message on every scrape,
// as prom-client's cluster support does: nothing ships for worker_threads), and
// the latency of a collection with workers attached. Writes bench/results/workers.md.
//
//   pnpm build && cd bench && node --expose-gc workers.mjs [--quick]   (pnpm bench runs it too)
//
// Method: every configuration records the same workload (workers/workload.mjs):
// per operation counter.add + histogram.record with a fresh 3-attribute literal
// over 30 attribute sets; records/s counts both calls. Worker threads start,
// warm up (interning every series) and wait on a barrier; the wall time runs from
// releasing the barrier until the last worker is done. Workers yield to their
// event loop every 1,024 operations (as between tasks), which prom-client's
// scrape messages need. While they record, the main thread scrapes every 100 ms
// (fastmeter: reader.collect() + Prometheus text; prom-client: ask every worker
// for getMetricsAsJSON(), AggregatorRegistry.aggregate, registry.metrics()).
// Configurations are interleaved over ROUNDS rounds; best and median reported.
// Every run's totals are read back and must equal what was recorded.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ValueType } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { attachWorkerMetrics } from '@fastmeter/workers';
import prom from 'prom-client';
import { BOUNDS, HV, LABELS, LABEL_NAMES } from './workers/workload.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const WORKER = join(HERE, 'workers/worker.mjs');
const QUICK = process.argv.includes('--quick') || process.env.QUICK === '1';
const OPS_FAST = QUICK ? 300_000 : 2_000_000; // operations per thread (2 records each)
const OPS_PROM = QUICK ? 50_000 : 300_000;
const WARMUP = QUICK ? 20_000 : 100_000;
const ROUNDS = QUICK ? 1 : 3;
const COMBOS = 30;
const CHUNK = 1024;
const SCRAPE_MS = 100;
const LATENCY_SAMPLES = QUICK ? 20 : 100;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

class Reader extends MetricReader {
  async onShutdown() {}
  async onForceFlush() {}
}
const serializer = new PrometheusSerializer();

// ---- main-thread loops (the same code as in workers/worker.mjs) -------------------------------

async function fastmeterLoop(counter, histogram, n, combos) {
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + CHUNK);
    for (; i < end; i++) {
      const o = (i % combos) * 3;
      counter.add(1, { method: LABELS[o], route: LABELS[o + 1], status: LABELS[o + 2] });
      histogram.record(HV[i & 1023], { method: LABELS[o], route: LABELS[o + 1], status: LABELS[o + 2] });
    }
    await new Promise(setImmediate);
  }
}

async function promLoop(counter, histogram, n, combos) {
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + CHUNK);
    for (; i < end; i++) {
      const o = (i % combos) * 3;
      counter.inc({ method: LABELS[o], route: LABELS[o + 1], status: LABELS[o + 2] });
      histogram.observe({ method: LABELS[o], route: LABELS[o + 1], status: LABELS[o + 2] }, HV[i & 1023]);
    }
    await new Promise(setImmediate);
  }
}

// ---- scrapes ----------------------------------------------------------------------------------

/** fastmeter: one collection (pulls the workers' shared memory first) and its Prometheus text. */
async function fastmeterScrape(reader) {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors);
  return { resourceMetrics, text: serializer.serialize(resourceMetrics) };
}

/** prom-client across worker threads: a message to every worker, getMetricsAsJSON() there, aggregate here. */
let scrapeId = 0;
async function promScrape(workers, localRegistry) {
  const id = scrapeId++;
  const replies = workers.map(
    w =>
      new Promise(resolve => {
        const onMessage = msg => {
          if (msg.type === 'metrics' && msg.id === id) {
            w.off('message', onMessage);
            resolve(msg.json);
          }
        };
        w.on('message', onMessage);
        w.postMessage({ type: 'scrape', id });
      }),
  );
  const parts = await Promise.all(replies);
  if (localRegistry) parts.push(await localRegistry.getMetricsAsJSON());
  const registry = prom.AggregatorRegistry.aggregate(parts);
  return { registry, text: await registry.metrics() };
}

async function timed(fn) {
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, result };
}

/** Scrapes every SCRAPE_MS while `running` is pending; the latencies. */
async function scrapeWhile(running, scrape) {
  const latencies = [];
  let done = false;
  running.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    await Promise.race([running, new Promise(r => setTimeout(r, SCRAPE_MS))]);
    if (done) break;
    latencies.push((await timed(scrape)).ms);
  }
  return latencies;
}

// ---- totals -----------------------------------------------------------------------------------

function fastmeterTotals(resourceMetrics) {
  let requests = 0;
  let observations = 0;
  let series = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      for (const point of metric.dataPoints) {
        series++;
        if (metric.descriptor.name === 'bench.requests') requests += point.value;
        if (metric.descriptor.name === 'bench.latency') observations += point.value.count;
      }
    }
  }
  return { requests, observations, series };
}

async function promTotals(registry) {
  let requests = 0;
  let observations = 0;
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values) {
      if (metric.name === 'bench_requests') requests += v.value;
      if (metric.name === 'bench_latency' && v.metricName === 'bench_latency_count') observations += v.value;
    }
  }
  return { requests, observations };
}

function verify(label, got, expected) {
  if (got.requests !== expected || got.observations !== expected) {
    throw new Error(`${label}: recorded ${expected} of each, read back ${got.requests} counter adds and ${got.observations} histogram records`);
  }
}

// ---- configurations ---------------------------------------------------------------------------

async function startFleet(mode, n, { track, ...extra }) {
  const control = new Int32Array(new SharedArrayBuffer(4));
  const workers = [];
  const ready = [];
  const done = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(WORKER, { workerData: { mode, control: control.buffer, chunk: CHUNK, ...extra } });
    workers.push(w);
    track?.(w);
    ready.push(
      new Promise((resolve, reject) => {
        w.on('error', reject);
        w.on('message', m => m.type === 'ready' && resolve());
      }),
    );
    done.push(new Promise(resolve => w.on('message', m => m.type === 'done' && resolve(m.ms))));
  }
  await Promise.all(ready);
  return {
    workers,
    /** Releases the barrier; resolves with the wall time until the last worker finished. */
    run() {
      const t0 = performance.now();
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 0);
      return Promise.all(done).then(() => performance.now() - t0);
    },
    stop: () => Promise.all(workers.map(w => w.terminate())),
  };
}

async function fastmeterWorkers(n, { combos = COMBOS, ops = OPS_FAST, keep = false } = {}) {
  const reader = new Reader();
  const provider = new FastMeterProvider({ readers: [reader] });
  const hub = attachWorkerMetrics(provider);
  const fleet = await startFleet('fastmeter', n, { handle: hub.handle, ops, warmup: WARMUP, combos, track: w => hub.track(w) });
  gc();
  const running = fleet.run();
  const scrapes = await scrapeWhile(running, () => fastmeterScrape(reader));
  const ms = await running;
  const { resourceMetrics } = await fastmeterScrape(reader);
  const totals = fastmeterTotals(resourceMetrics);
  verify(`fastmeter ×${n}`, totals, (ops + WARMUP) * n);
  const out = { records: 2 * ops * n, ms, scrapes, series: totals.series };
  if (keep) return { ...out, fleet, reader, hub, provider };
  await fleet.stop();
  await provider.shutdown();
  return out;
}

async function promWorkers(n, { combos = COMBOS, ops = OPS_PROM, keep = false } = {}) {
  const fleet = await startFleet('prom', n, { ops, warmup: WARMUP, combos });
  gc();
  const running = fleet.run();
  const scrapes = await scrapeWhile(running, () => promScrape(fleet.workers));
  const ms = await running;
  const { registry } = await promScrape(fleet.workers);
  verify(`prom-client ×${n}`, await promTotals(registry), (ops + WARMUP) * n);
  const out = { records: 2 * ops * n, ms, scrapes };
  if (keep) return { ...out, fleet };
  await fleet.stop();
  return out;
}

async function fastmeterSingle() {
  const reader = new Reader();
  const provider = new FastMeterProvider({ readers: [reader] });
  const meter = provider.getMeter('bench');
  const counter = meter.createCounter('bench.requests', { valueType: ValueType.INT });
  const histogram = meter.createHistogram('bench.latency', { advice: { explicitBucketBoundaries: BOUNDS } });
  await fastmeterLoop(counter, histogram, WARMUP, COMBOS);
  gc();
  const t0 = performance.now();
  const running = fastmeterLoop(counter, histogram, OPS_FAST, COMBOS).then(() => performance.now() - t0);
  const scrapes = await scrapeWhile(running, () => fastmeterScrape(reader));
  const ms = await running;
  verify('fastmeter, 1 thread', fastmeterTotals((await fastmeterScrape(reader)).resourceMetrics), OPS_FAST + WARMUP);
  await provider.shutdown();
  return { records: 2 * OPS_FAST, ms, scrapes };
}

async function promSingle() {
  const registry = new prom.Registry();
  const counter = new prom.Counter({ name: 'bench_requests', help: 'h', labelNames: LABEL_NAMES, registers: [registry] });
  const histogram = new prom.Histogram({ name: 'bench_latency', help: 'h', labelNames: LABEL_NAMES, buckets: BOUNDS, registers: [registry] });
  await promLoop(counter, histogram, WARMUP, COMBOS);
  gc();
  const t0 = performance.now();
  const running = promLoop(counter, histogram, OPS_PROM, COMBOS).then(() => performance.now() - t0);
  const scrapes = await scrapeWhile(running, () => registry.metrics());
  const ms = await running;
  verify('prom-client, 1 thread', await promTotals(registry), OPS_PROM + WARMUP);
  return { records: 2 * OPS_PROM, ms, scrapes };
}

// ---- report -----------------------------------------------------------------------------------

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const mrec = x => `${(x / 1e6).toFixed(2)} M`;
const ms2 = x => (Number.isNaN(x) ? '–' : x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

async function main() {
  if (!process.execArgv.includes('--expose-gc')) console.warn('note: run with --expose-gc for gc() between runs');
  const configs = [
    ['fastmeter, 1 thread (plain FastMeterProvider)', 'fastmeter', 1, () => fastmeterSingle()],
    ['fastmeter, 1 worker', 'fastmeter', 1, () => fastmeterWorkers(1)],
    ['fastmeter, 2 workers', 'fastmeter', 2, () => fastmeterWorkers(2)],
    ['fastmeter, 4 workers', 'fastmeter', 4, () => fastmeterWorkers(4)],
    ['prom-client, 1 thread', 'prom', 1, () => promSingle()],
    ['prom-client, 1 worker, aggregated by message', 'prom', 1, () => promWorkers(1)],
    ['prom-client, 2 workers, aggregated by message', 'prom', 2, () => promWorkers(2)],
    ['prom-client, 4 workers, aggregated by message', 'prom', 4, () => promWorkers(4)],
  ];
  const results = new Map(configs.map(([name]) => [name, []]));
  const loadStart = os.loadavg()[0];
  for (let round = 0; round < ROUNDS; round++) {
    const order = configs.map((_, i) => configs[(i + round) % configs.length]);
    for (const [name, , , fn] of order) {
      const r = await fn();
      results.get(name).push(r);
      console.log(`round ${round + 1}: ${name}: ${mrec(r.records / (r.ms / 1000))} records/s, ${r.scrapes.length} scrapes during the run`);
    }
  }

  // Collect latency with workers attached (idle after recording), 60 and 2,000 series.
  const latency = [];
  for (const combos of [COMBOS, 1000]) {
    const fm = await fastmeterWorkers(4, { combos, ops: OPS_FAST / 10, keep: true });
    const fmPull = [];
    const fmFull = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      fmPull.push((await timed(() => fm.reader.collect())).ms);
      fmFull.push((await timed(() => fastmeterScrape(fm.reader))).ms);
    }
    latency.push([`fastmeter: reader.collect() (pulls shared memory)`, fm.series, fmPull]);
    latency.push([`fastmeter: collect + Prometheus text`, fm.series, fmFull]);
    latency.push([
      `fastmeter: scrape while 4 workers record (from the runs above)`,
      fm.series,
      combos === COMBOS ? results.get('fastmeter, 4 workers').flatMap(r => r.scrapes) : [],
    ]);
    await fm.fleet.stop();
    await fm.provider.shutdown();
    const pc = await promWorkers(4, { combos, ops: OPS_PROM / 10, keep: true });
    const pcFull = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) pcFull.push((await timed(() => promScrape(pc.fleet.workers))).ms);
    latency.push([`prom-client: message to each worker + aggregate + text`, fm.series, pcFull]);
    latency.push([
      `prom-client: same, while 4 workers record (from the runs above)`,
      fm.series,
      combos === COMBOS ? results.get('prom-client, 4 workers, aggregated by message').flatMap(r => r.scrapes) : [],
    ]);
    await pc.fleet.stop();
  }

  const base = Math.max(...results.get('fastmeter, 1 thread (plain FastMeterProvider)').map(r => r.records / (r.ms / 1000)));
  const promBase = Math.max(...results.get('prom-client, 1 thread').map(r => r.records / (r.ms / 1000)));
  const lines = [];
  const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty =
    sh('git', ['status', '--porcelain', '--', 'packages/workers/src', 'packages/sdk/src', 'bench/workers.mjs', 'bench/workers']) !== ''
      ? ' (with uncommitted changes)'
      : '';
  lines.push('## Worker threads (@fastmeter/workers)');
  lines.push('');
  lines.push(
    `Generated by \`node --expose-gc bench/workers.mjs${QUICK ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}${dirty}; ` +
      `Node ${process.version}, ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length} cores, load average ${loadStart.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}. ` +
      `${ROUNDS} interleaved round(s); records/s counts counter.add and histogram.record calls (one each per operation, fresh 3-attribute literal, ${COMBOS} attribute sets). ` +
      `Per thread: ${OPS_FAST.toLocaleString('en')} operations for fastmeter, ${OPS_PROM.toLocaleString('en')} for prom-client, after ${WARMUP.toLocaleString('en')} warm-up operations. ` +
      'A scrape every 100 ms during every run; every total read back and checked.',
  );
  lines.push('');
  lines.push('| configuration | records/s (best) | median | × fastmeter 1 thread | × prom-client same threads |');
  lines.push('|---|---:|---:|---:|---:|');
  const promSame = {
    1: 'prom-client, 1 worker, aggregated by message',
    2: 'prom-client, 2 workers, aggregated by message',
    4: 'prom-client, 4 workers, aggregated by message',
  };
  for (const [name, lib, n] of configs) {
    const rates = results.get(name).map(r => r.records / (r.ms / 1000));
    const best = Math.max(...rates);
    let vsProm = '';
    if (lib === 'fastmeter') {
      const other = name.includes('1 thread') ? promBase : Math.max(...results.get(promSame[n]).map(r => r.records / (r.ms / 1000)));
      vsProm = `${(best / other).toFixed(1)}×`;
    }
    lines.push(`| ${name} | ${mrec(best)} | ${mrec(median(rates))} | ${(best / base).toFixed(2)} | ${vsProm} |`);
  }
  lines.push('');
  lines.push(`Collection latency, 4 worker threads attached (${LATENCY_SAMPLES} collections each when idle after recording):`);
  lines.push('');
  lines.push('| collection | series | median | p99 | samples |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const [what, series, xs] of latency) {
    if (xs.length === 0) continue;
    lines.push(`| ${what} | ${series.toLocaleString('en')} | ${ms2(median(xs))} | ${ms2(quantile(xs, 0.99))} | ${xs.length} |`);
  }
  lines.push('');
  lines.push(
    `Machine note: ${os.cpus().length} cores, so 2 and 4 recording threads share them with the main thread: beyond ${os.cpus().length} threads the rows measure contention, not scaling` +
      (loadStart > os.cpus().length * 0.75 // before this run: other processes, not this benchmark's threads
        ? `; other processes were running (load average above), so a configuration with more threads also got a larger share of the machine, and the absolute figures are lower than on an idle machine. `
        : '. ') +
      'fastmeter workers pay two atomic operations per histogram record (Atomics.add + Atomics.store, about 17 ns on this machine, Node 20) that the single-threaded provider does not; ' +
      'prom-client workers pay nothing per record for threads but a message round trip to every worker and an aggregation per scrape.',
  );
  const report = `${lines.join('\n')}\n`;
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results/workers.md'), report);
  console.log(`\n${report}`);
  console.log('wrote bench/results/workers.md');
}

await main();
