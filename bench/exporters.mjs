#!/usr/bin/env node
// @fastmeter/exporters benchmark: collect + export of large outputs, side by side
// in one process, and what a scrape does to the event loop and to the requests a
// service is serving. Writes bench/results/exporters.md.
//
//   pnpm build && cd bench && node --expose-gc exporters.mjs [--quick] [--check]
//
// Three sides per workload (100,000 counter series; 20,000 default-bucket histogram
// series; 3 attributes each), every series recorded again (untimed) before each round:
//   sdk-metrics + standard        MeterProvider; reader.collect() then PrometheusSerializer /
//                                 ProtobufMetricsSerializer / JsonMetricsSerializer (what
//                                 PrometheusExporter and OTLPMetricExporter run)
//   fastmeter + standard          FastMeterProvider, the same standard serialisers (context:
//                                 the path before @fastmeter/exporters)
//   fastmeter + fast exporters    FastPrometheusExporter.scrape() (collect + text) and
//                                 FastPeriodicExportingMetricReader's columns +
//                                 FastOTLPMetricExporter's encoder (protobuf, JSON); here unsliced
//                                 (see UNSLICED), in 10 ms slices in the event-loop suite
// Operations are interleaved over ROUNDS rounds after WARMUP_ROUNDS, each after a full GC and a
// 30 ms pause (concurrent sweeping done); wall clock best and median and the process's CPU time
// are reported; targets are judged on the best round (the machine is shared: see the report). Every output is verified (series count and total; OTLP protobuf
// decoded with the official schema) on the first and last round.
// Event loop: a 1 ms setInterval runs during a scrape of 100,000 series; the longest gap
// between its ticks (minus its 1 ms period) is the longest synchronous block. Reported
// worst of BLOCK_RUNS scrapes for each path.
// HTTP: a child process serves GET /work (records a counter and a histogram per request)
// with 100,000 more series in its provider; 8 keep-alive connections send requests for
// LOAD_SECONDS while /metrics is scraped every second; latency percentiles per exporter.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { FastPrometheusExporter } from '@fastmeter/exporters';
import { FastOTLPMetricExporter, FastPeriodicExportingMetricReader } from '@fastmeter/exporters/otlp';
import { Slicer } from '@fastmeter/exporters/internal';
import { environment } from './lib/env.mjs';
import { BenchReader, CARDINALITY, OTEL_BOUNDS } from './lib/fixtures.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHECK = process.argv.includes('--check');
const QUICK = CHECK || process.argv.includes('--quick');
const COUNTERS = QUICK ? 20_000 : 100_000;
const HISTOGRAMS = QUICK ? 4_000 : 20_000;
const ROUNDS = QUICK ? 3 : 10;
const WARMUP_ROUNDS = QUICK ? 1 : 2;
const BLOCK_RUNS = QUICK ? 2 : 5;
const LOAD_SECONDS = QUICK ? 4 : 15;
const LOAD_CONNECTIONS = 8;
const TARGET_RATIO = 5;
/**
 * The cost comparison runs the fast paths unsliced: a sliced scrape gives the event loop back
 * between slices and the wall clock then also counts whatever else runs meanwhile (timers, I/O,
 * V8's incremental GC tasks), which is the point of slicing but not the cost of the export.
 * The event-loop suite runs them with the default 10 ms budget.
 */
const UNSLICED = 1e9;
const DEFAULT_BUDGET = 10;
const TARGET_BLOCK_MS = 10;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
const require = createRequire(import.meta.url);
const Request = require('otlp-schema/build/src/generated/root.js').opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

const started = Date.now();
const log = line => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const failures = [];

// ---- workloads ------------------------------------------------------------------------------

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'PURGE'];
const ROUTES = Array.from({ length: 100 }, (_, i) => `/api/v1/resource/${i}`);
const STATUS = Array.from({ length: 100 }, (_, i) => String(200 + i));
const attrs = i => ({ method: METHODS[i % 10], route: ROUTES[Math.floor(i / 10) % 100], status: STATUS[Math.floor(i / 1000) % 100] });
const ATTRS = Array.from({ length: Math.max(COUNTERS, HISTOGRAMS) }, (_, i) => attrs(i));

/** A bench reader whose columns can be read (FastMetricReader's collectColumns is protected, not private). */
class ColumnReader extends FastPeriodicExportingMetricReader {
  columns(slicer) {
    return this.collectColumns(slicer);
  }
}

function makeSide(impl, kind, budget = UNSLICED) {
  const n = kind === 'counter' ? COUNTERS : HISTOGRAMS;
  const standardReader = new BenchReader();
  const readers = [standardReader];
  let fast;
  if (impl === 'fast') {
    const prometheus = new FastPrometheusExporter({ preventServerStart: true, cardinalitySelector: () => CARDINALITY, sliceBudgetMillis: budget });
    const protobuf = new FastOTLPMetricExporter({ protocol: 'http/protobuf', url: 'http://127.0.0.1:9/v1/metrics', sliceBudgetMillis: budget });
    const json = new FastOTLPMetricExporter({ protocol: 'http/json', url: 'http://127.0.0.1:9/v1/metrics', sliceBudgetMillis: budget });
    const columns = new ColumnReader({ exporter: protobuf, exportIntervalMillis: 3_600_000, cardinalityLimits: { default: CARDINALITY } });
    readers.splice(0, 1, prometheus, columns);
    fast = { prometheus, protobuf, json, columns };
  }
  const provider = impl === 'sdk-metrics' ? new MeterProvider({ readers }) : new FastMeterProvider({ readers });
  const meter = provider.getMeter('bench', '1.0.0');
  const instrument =
    kind === 'counter' ? meter.createCounter('requests') : meter.createHistogram('latency', { advice: { explicitBucketBoundaries: OTEL_BOUNDS } });
  let touches = 0;
  const touch = () => {
    touches++;
    if (kind === 'counter') for (let i = 0; i < n; i++) instrument.add(1, ATTRS[i]);
    else for (let i = 0; i < n; i++) instrument.record((i % 97) * 3.5, ATTRS[i]);
  };
  const prometheusSerializer = new PrometheusSerializer();
  const ops =
    impl === 'fast'
      ? {
          prometheus: async () => {
            const { chunks } = await fast.prometheus.scrape();
            const s = fast.prometheus.lastScrape;
            return { output: chunks, slice: { wall: s.longestSliceMs, cpu: s.longestSliceCpuMs } };
          },
          protobuf: async () => {
            const slicer = new Slicer(fast.protobuf.sliceBudgetMillis);
            const output = await fast.protobuf.encode(await fast.columns.columns(slicer), slicer);
            slicer.finish();
            return { output, slice: { wall: slicer.longestSliceMs, cpu: slicer.longestSliceCpuMs } };
          },
          json: async () => {
            const slicer = new Slicer(fast.json.sliceBudgetMillis);
            const output = await fast.json.encode(await fast.columns.columns(slicer), slicer);
            slicer.finish();
            return { output, slice: { wall: slicer.longestSliceMs, cpu: slicer.longestSliceCpuMs } };
          },
        }
      : {
          prometheus: async () => ({ output: prometheusSerializer.serialize((await standardReader.collect()).resourceMetrics) }),
          protobuf: async () => ({ output: ProtobufMetricsSerializer.serializeRequest((await standardReader.collect()).resourceMetrics) }),
          json: async () => ({ output: JsonMetricsSerializer.serializeRequest((await standardReader.collect()).resourceMetrics) }),
        };
  return { impl, kind, n, touch, ops, touches: () => touches, fast, standardReader, provider };
}

// ---- verification ---------------------------------------------------------------------------------

function verify(side, op, output) {
  const { n, kind } = side;
  const expected = kind === 'counter' ? n * side.touches() : n * side.touches(); // counter total / histogram count
  let series = 0;
  let total = 0;
  if (op === 'prometheus') {
    const text = typeof output === 'string' ? output : Buffer.concat(output).toString('utf8');
    const prefix = kind === 'counter' ? 'requests_total{' : 'latency_count{';
    for (let at = text.indexOf(prefix); at !== -1; at = text.indexOf(prefix, at + 1)) {
      if (at > 0 && text[at - 1] !== '\n') continue;
      series++;
      total += Number(text.slice(text.indexOf('} ', at) + 2, text.indexOf('\n', at)));
    }
  } else {
    const message =
      op === 'json'
        ? JSON.parse(Buffer.from(output).toString('utf8'))
        : Request.toObject(Request.decode(output), { longs: Number, enums: Number, defaults: false });
    const metric = message.resourceMetrics[0].scopeMetrics[0].metrics.find(m => m.name === (kind === 'counter' ? 'requests' : 'latency'));
    const points = kind === 'counter' ? metric.sum.dataPoints : metric.histogram.dataPoints;
    series = points.length;
    for (const p of points) total += kind === 'counter' ? (p.asDouble ?? Number(p.asInt)) : Number(p.count);
  }
  if (series !== n || total !== expected)
    failures.push(`${side.impl}/${kind}/${op}: ${series} series, total ${total}; expected ${n} series, total ${expected}`);
}

// ---- timing ------------------------------------------------------------------------------------------

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A full GC, then time for V8 to finish sweeping concurrently (else the next allocations do it, billed to the op). */
async function settle() {
  gc();
  await new Promise(r => setTimeout(r, 30));
}
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Times every operation of every side, interleaved: wall clock and the process's CPU time.
 * On this shared machine the wall clock also counts time the OS gave other processes;
 * CPU time does not, so the targets are judged on it (both are reported).
 */
async function timeSides(kind) {
  const sides = ['sdk-metrics', 'fastmeter', 'fast'].map(impl => makeSide(impl, kind));
  const ops = ['prometheus', 'protobuf', 'json'];
  const times = new Map();
  for (const side of sides) for (const op of ops) times.set(`${side.impl}/${op}`, { wall: [], cpu: [] });
  log(`${kind}: ${sides[0].n} series, ${WARMUP_ROUNDS} warm-up + ${ROUNDS} rounds`);
  for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
    for (let j = 0; j < sides.length * ops.length; j++) {
      const k = (j + Math.max(0, round)) % (sides.length * ops.length);
      const side = sides[k % sides.length];
      const op = ops[Math.floor(k / sides.length)];
      side.touch();
      await settle();
      const c0 = cpuNow();
      const t0 = performance.now();
      const { output } = await side.ops[op]();
      const wall = performance.now() - t0;
      const cpu = cpuNow() - c0;
      if (round === -WARMUP_ROUNDS || round === ROUNDS - 1) verify(side, op, output);
      if (round >= 0) {
        times.get(`${side.impl}/${op}`).wall.push(wall);
        times.get(`${side.impl}/${op}`).cpu.push(cpu);
      }
    }
    if (round >= 0) log(`  round ${round + 1}/${ROUNDS}`);
  }
  for (const side of sides) await side.provider.shutdown();
  const out = {};
  for (const [key, { wall, cpu }] of times) out[key] = { best: Math.min(...wall), median: median(wall), cpu: median(cpu), cpuBest: Math.min(...cpu) };
  return out;
}

// ---- event-loop blocks ----------------------------------------------------------------------------------

/**
 * Runs `fn` with a 1 ms interval ticking; returns the longest gap between ticks beyond the
 * period (ms), the longest garbage-collection pause meanwhile, and what `fn` returned.
 */
async function longestBlock(fn) {
  let last = performance.now();
  let worst = 0;
  let gcPause = 0;
  const observer = new PerformanceObserver(list => {
    for (const entry of list.getEntries()) gcPause = Math.max(gcPause, entry.duration);
  });
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  await new Promise(r => setTimeout(r, 20));
  observer.observe({ entryTypes: ['gc'] });
  last = performance.now();
  worst = 0;
  const result = await fn();
  await new Promise(r => setTimeout(r, 5));
  clearInterval(timer);
  observer.disconnect();
  return { gap: Math.max(0, worst), gcPause, slice: result?.slice };
}

async function blocks() {
  log(`event loop: ${BLOCK_RUNS} scrapes of ${COUNTERS} series per path`);
  const fast = makeSide('fast', 'counter', DEFAULT_BUDGET);
  const fastmeter = makeSide('fastmeter', 'counter');
  const sdk = makeSide('sdk-metrics', 'counter');
  const paths = [
    ['fast Prometheus text (FastPrometheusExporter)', fast, 'prometheus'],
    ['fast OTLP protobuf (columns + FastOTLPMetricExporter encoder)', fast, 'protobuf'],
    ['fast OTLP JSON', fast, 'json'],
    ['fastmeter + standard Prometheus serialiser', fastmeter, 'prometheus'],
    ['fastmeter + standard OTLP protobuf serialiser', fastmeter, 'protobuf'],
    ['sdk-metrics + PrometheusExporter (collect + serialise)', sdk, 'prometheus'],
    ['sdk-metrics + standard OTLP protobuf serialiser', sdk, 'protobuf'],
  ];
  const results = paths.map(([label, side, op]) => ({ label, side, op, runs: [], fast: side.impl === 'fast' }));
  for (const side of [fast, fastmeter, sdk]) side.touch();
  // First scrape of each path untimed: label strings are rendered then, steady state afterwards.
  for (const r of results) await r.side.ops[r.op]();
  for (let run = 0; run < BLOCK_RUNS; run++) {
    for (const r of results) {
      r.side.touch();
      await settle();
      r.runs.push(await longestBlock(() => r.side.ops[r.op]()));
    }
  }
  // A first scrape with nothing cached (every series rendered): a fresh fast provider.
  const cold = makeSide('fast', 'counter', DEFAULT_BUDGET);
  cold.touch();
  await settle();
  const coldRun = await longestBlock(() => cold.ops.prometheus());
  for (const side of [fast, fastmeter, sdk, cold]) await side.provider.shutdown();
  const worstOf = (runs, f) => Math.max(...runs.map(f));
  return {
    rows: results.map(r => ({
      label: r.label,
      fast: r.fast,
      worst: worstOf(r.runs, x => x.gap),
      median: median(r.runs.map(x => x.gap)),
      gc: worstOf(r.runs, x => x.gcPause),
      slice: r.fast ? worstOf(r.runs, x => x.slice.wall) : undefined,
      sliceCpu: r.fast ? worstOf(r.runs, x => x.slice.cpu) : undefined,
    })),
    cold: { gap: coldRun.gap, gc: coldRun.gcPause, slice: coldRun.slice.wall, sliceCpu: coldRun.slice.cpu },
  };
}

// ---- HTTP service under load -----------------------------------------------------------------------------

function startService(mode) {
  const child = spawn(process.execPath, [join(HERE, 'exporters/service.mjs'), mode, String(COUNTERS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service ${mode}: no ports within 60 s`)), 60_000);
    createInterface({ input: child.stdout }).once('line', line => {
      clearTimeout(timer);
      resolve({ child, ...JSON.parse(line) });
    });
    child.once('exit', code => reject(new Error(`service ${mode} exited with ${code}`)));
  });
}

function get(agent, port, path) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: 30_000 }, res => {
      let bytes = 0;
      res.on('data', c => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode, bytes }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

async function loadRun(mode) {
  const service = await startService(mode);
  const agent = new Agent({ keepAlive: true, maxSockets: LOAD_CONNECTIONS + 1 });
  try {
    // Warm up: requests and two scrapes (the first renders every series).
    for (let i = 0; i < 200; i++) await get(agent, service.app, '/work');
    await get(agent, service.metrics, '/metrics');
    await get(agent, service.metrics, '/metrics');
    const latencies = [];
    const scrapes = [];
    let errors = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const r = await get(agent, service.app, '/work');
          if (r.status === 200) latencies.push(r.ms);
          else errors++;
        } catch {
          errors++;
        }
      }
    };
    const scraper = async () => {
      while (!stop) {
        const t0 = performance.now();
        const r = await get(agent, service.metrics, '/metrics');
        scrapes.push(r);
        if (r.status !== 200 || r.bytes < COUNTERS * 20) failures.push(`load/${mode}: scrape answered ${r.status} with ${r.bytes} bytes`);
        await new Promise(res => setTimeout(res, Math.max(0, 1000 - (performance.now() - t0))));
      }
    };
    const t0 = performance.now();
    const running = [...Array.from({ length: LOAD_CONNECTIONS }, worker), scraper()];
    await new Promise(r => setTimeout(r, LOAD_SECONDS * 1000));
    stop = true;
    await Promise.all(running);
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    if (latencies.length < 100) failures.push(`load/${mode}: only ${latencies.length} requests answered`);
    return {
      requests: latencies.length,
      rps: latencies.length / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1],
      errors,
      scrapes: scrapes.length,
      scrapeMs: median(scrapes.map(s => s.ms)),
    };
  } finally {
    agent.destroy();
    service.child.kill('SIGTERM');
    await once(service.child, 'exit');
  }
}

async function load() {
  const modes = [
    ['fast', 'fastmeter + FastPrometheusExporter'],
    ['standard', 'fastmeter + PrometheusExporter'],
    ['sdk-metrics', 'sdk-metrics + PrometheusExporter'],
  ];
  const out = [];
  for (const [mode, label] of modes) {
    log(`load: ${label}, ${LOAD_SECONDS} s, ${LOAD_CONNECTIONS} connections, /metrics every second`);
    out.push({ mode, label, ...(await loadRun(mode)) });
  }
  return out;
}

// ---- report ------------------------------------------------------------------------------------------------

const fmt = (x, d = 1) => (x >= 100 ? x.toFixed(0) : x.toFixed(d));
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n');

function report(env, envEnd, counter, histogram, block, loadRows) {
  const targets = [];
  const opLabel = { prometheus: 'Prometheus text', protobuf: 'OTLP protobuf', json: 'OTLP JSON' };
  for (const [kind, n, t] of [
    ['counter', COUNTERS, counter],
    ['histogram', HISTOGRAMS, histogram],
  ]) {
    for (const op of ['prometheus', 'protobuf', 'json']) {
      const a = t[`sdk-metrics/${op}`];
      const b = t[`fast/${op}`];
      const ratio = a.best / b.best;
      targets.push([
        `collect + ${opLabel[op]} of ${n.toLocaleString('en')} ${kind} series ≥ ${TARGET_RATIO}× faster than sdk-metrics + the standard ${op === 'prometheus' ? 'PrometheusExporter serialiser' : 'serialiser'}`,
        `${fmt(ratio, 2)}× best of ${ROUNDS} (${fmt(a.best)} → ${fmt(b.best)} ms); medians ${fmt(a.median / b.median, 2)}×, CPU time ${fmt(a.cpu / b.cpu, 2)}×`,
        ratio >= TARGET_RATIO ? '✅' : `❌ short by ${fmt(TARGET_RATIO / ratio, 2)}×`,
      ]);
    }
  }
  const fastRows = block.rows.filter(r => r.fast);
  const worstFast = Math.max(...fastRows.map(r => r.worst), block.cold.gap);
  const worstFastCpu = Math.max(...fastRows.map(r => r.sliceCpu), block.cold.sliceCpu);
  const standard = block.rows.find(r => r.label.startsWith('sdk-metrics + PrometheusExporter'));
  targets.push([
    `longest event-loop block during a scrape of ${COUNTERS.toLocaleString('en')} series ≤ ${TARGET_BLOCK_MS} ms (fast paths; worst of ${BLOCK_RUNS} runs each and the first scrape)`,
    `${fmt(worstFast, 2)} ms between timer ticks; longest slice ${fmt(worstFastCpu, 2)} ms of CPU time (sdk-metrics + PrometheusExporter: ${fmt(standard.worst)} ms)`,
    worstFast <= TARGET_BLOCK_MS ? '✅' : `❌ ${fmt(worstFast, 2)} ms`,
  ]);
  const lf = loadRows.find(r => r.mode === 'fast');
  const ls = loadRows.find(r => r.mode === 'standard');
  const lsdk = loadRows.find(r => r.mode === 'sdk-metrics');
  targets.push([
    `HTTP service under load, ${COUNTERS.toLocaleString('en')} series scraped every second: p99 request latency (reported)`,
    `fast ${fmt(lf.p99, 2)} ms; fastmeter + PrometheusExporter ${fmt(ls.p99, 2)} ms; sdk-metrics + PrometheusExporter ${fmt(lsdk.p99, 2)} ms`,
    '–',
  ]);
  const times = (t, n, kind) =>
    table(
      ['operation', 'sdk-metrics + standard', 'fastmeter + standard', 'fastmeter + fast exporters', 'sdk-metrics ÷ fast: best / median / CPU'],
      ['prometheus', 'protobuf', 'json'].map(op => {
        const cell = x => `${fmt(x.best)} / ${fmt(x.median)} / ${fmt(x.cpu)}`;
        const [a, b, c] = ['sdk-metrics', 'fastmeter', 'fast'].map(impl => t[`${impl}/${op}`]);
        return [
          `collect + ${opLabel[op]}`,
          cell(a),
          cell(b),
          cell(c),
          `${fmt(a.best / c.best, 2)}× / ${fmt(a.median / c.median, 2)}× / ${fmt(a.cpu / c.cpu, 2)}×`,
        ];
      }),
    ) +
    `\n\n${n.toLocaleString('en')} ${kind} series; ms: wall clock best / median, and median CPU time of the process, over ${ROUNDS} interleaved rounds after ${WARMUP_ROUNDS} warm-up. On this shared machine medians and CPU time (a VM's stolen time included) carry other processes' load; the best of the rounds is the closest to the intrinsic cost, so targets are judged on it.`;
  return [
    '## Exporters (@fastmeter/exporters): collect + export, event-loop blocks, a service under load',
    '',
    `Generated by \`node --expose-gc bench/exporters.mjs${QUICK ? ' --quick' : ''}\` on ${env.date.slice(0, 16).replace('T', ' ')} UTC, commit ${env.commit}; Node ${env.node}, ${env.cpu} × ${env.cores} cores; load average ${env.loadavg} → ${envEnd.loadavg}${QUICK ? '; **quick run, not representative**' : ''}.`,
    `Packages: @opentelemetry/sdk-metrics ${env.packages['@opentelemetry/sdk-metrics']}, exporter-prometheus ${env.packages['@opentelemetry/exporter-prometheus']}, otlp-transformer ${env.packages['@opentelemetry/otlp-transformer']}. Method: the header of bench/exporters.mjs.`,
    '',
    table(['target', 'measured', 'result'], targets),
    '',
    '### Collect + export',
    '',
    times(counter, COUNTERS, 'counter'),
    '',
    times(histogram, HISTOGRAMS, 'histogram'),
    '',
    'Every output was verified on the first and the last round: series count and total (OTLP protobuf decoded with the official schema).',
    '',
    '### Longest event-loop block during one scrape',
    '',
    table(
      ['path', 'gap between ticks, worst (ms)', 'median (ms)', 'longest GC pause (ms)', 'longest slice: wall / CPU (ms)'],
      [
        ...block.rows.map(r => [
          r.label,
          fmt(r.worst, 2),
          fmt(r.median, 2),
          fmt(r.gc, 2),
          r.slice === undefined ? '– (one block)' : `${fmt(r.slice, 2)} / ${fmt(r.sliceCpu, 2)}`,
        ]),
        [
          'fast Prometheus text, first scrape (no label cached)',
          fmt(block.cold.gap, 2),
          '–',
          fmt(block.cold.gc, 2),
          `${fmt(block.cold.slice, 2)} / ${fmt(block.cold.sliceCpu, 2)}`,
        ],
      ],
    ),
    '',
    `${COUNTERS.toLocaleString('en')} counter series; the gap between ticks of a 1 ms setInterval, less the period, during the scrape; ${BLOCK_RUNS} scrapes per path after one untimed. GC pauses count as blocks; on a shared machine so does time the OS gives other processes, which the CPU time of a slice does not count.`,
    '',
    '### A service under HTTP load, scraped every second',
    '',
    table(
      ['exporter', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'scrapes', 'scrape duration, median (ms)', 'errors'],
      loadRows.map(r => [r.label, fmt(r.rps, 0), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.max, 1), String(r.scrapes), fmt(r.scrapeMs), String(r.errors)]),
    ),
    '',
    `A child process serves GET /work (a counter and a histogram recorded per request) and /metrics with ${COUNTERS.toLocaleString('en')} more series; ${LOAD_CONNECTIONS} keep-alive connections for ${LOAD_SECONDS} s, one scrape per second, all on loopback on this shared machine.`,
    '',
  ].join('\n');
}

async function main() {
  const env = environment();
  log(`node ${env.node}, ${env.cpu} x${env.cores}, commit ${env.commit}, load ${env.loadavg}${QUICK ? ', QUICK' : ''}`);
  const counter = await timeSides('counter');
  const histogram = await timeSides('histogram');
  const block = await blocks();
  const loadRows = await load();
  const envEnd = environment();
  const markdown = report(env, envEnd, counter, histogram, block, loadRows);
  console.log(`\n${markdown}`);
  if (failures.length > 0) {
    console.error(`\nverification FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  log('all outputs verified');
  if (!QUICK) {
    mkdirSync(join(HERE, 'results'), { recursive: true });
    writeFileSync(join(HERE, 'results/exporters.md'), markdown);
    log('wrote bench/results/exporters.md');
  }
  if (CHECK) log('--check: verification passed');
}

main().catch(err => {
  console.error(`\nbench FAILED: ${err?.stack ?? err}`);
  process.exit(1);
});
