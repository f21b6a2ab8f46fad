#!/usr/bin/env node
// @fastmeter/dashboard benchmark: OTLP/HTTP receiver ingest (points/s, protobuf and
// JSON, plain and gzip), the server's cost of one WebSocket frame with 100 charts,
// and the page's render time as the browser test measured it. Writes
// bench/results/dashboard.md.
//
//   pnpm build && cd bench && node --expose-gc dashboard.mjs [--quick] [--check]
//
// Method. Receiver: request bodies are produced by the standard OTLP serializers
// (@opentelemetry/otlp-transformer, the code inside OTLPMetricExporter) from what
// sdk-metrics collected: counters, up-down counters, gauges and histograms over
// 3-attribute series, POINTS points per request. Each body is handed to
// OtlpMetricsReceiver.export() (decode with protobufjs against the official schema,
// validation, conversion to ResourceMetrics, ring.ingest) in a loop on one thread;
// the ring here is a counting stand-in, so the figure is the receiver's own cost.
// Every run checks the accepted point count. Formats are interleaved over ROUNDS;
// the best round is reported with the median beside it.
// Frame: 100 charts (rate view, 3 series of 300 points each, width 600 px) computed
// from an in-memory QuerySource and serialised as the session sends them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { OtlpMetricsReceiver, computeChart } from '@fastmeter/dashboard';
import { ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { environment } from './lib/env.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.argv.includes('--quick');
const CHECK = QUICK || process.argv.includes('--check');
const ROUNDS = QUICK ? 3 : 7;
const MIN_MS = QUICK ? 300 : 1500;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

// ---- request bodies from the standard serializers ---------------------------------------

async function collectedResourceMetrics(kinds = ['counter', 'updown', 'gauge', 'histogram']) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'bench', 'service.instance.id': 'i-1' }), readers: [reader] });
  const meter = provider.getMeter('bench');
  const routes = Array.from({ length: 25 }, (_, i) => `/api/r${i}`);
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  const statuses = ['200', '404', '500'];
  const make = (kind, n, f) => (kinds.includes(kind) ? Array.from({ length: n }, (_, i) => f(i)) : []);
  const counters = make('counter', 8, i => meter.createCounter(`app.counter.${i}`, { valueType: ValueType.INT }));
  const updowns = make('updown', 4, i => meter.createUpDownCounter(`app.updown.${i}`));
  const gauges = make('gauge', 4, i => meter.createGauge(`app.gauge.${i}`));
  const histograms = make('histogram', kinds.length === 1 ? 8 : 2, i => meter.createHistogram(`app.histogram.${i}`, { unit: 's' }));
  let n = 0;
  for (const route of routes)
    for (const method of methods)
      for (const status of statuses) {
        const attrs = { 'http.route': route, 'http.request.method': method, 'http.response.status_code': status };
        n++;
        for (const c of counters) c.add(n, attrs);
        for (const u of updowns) u.add(n - 100, attrs);
        for (const g of gauges) g.record(n / 7, attrs);
        for (const h of histograms) h.record((n % 50) / 100, attrs);
      }
  await reader.forceFlush();
  await provider.shutdown();
  const rm = exporter.getMetrics().at(-1);
  let points = 0;
  let scalarPoints = 0;
  for (const sm of rm.scopeMetrics)
    for (const m of sm.metrics) {
      points += m.dataPoints.length;
      if (m.dataPointType !== 0) scalarPoints += m.dataPoints.length;
    }
  return { rm, points, scalarPoints };
}

/**
 * Milliseconds of CPU time (user + system) per call: on a machine shared with
 * other work, wall time counts the time other processes ran; CPU time counts
 * what this code cost the core it ran on.
 */
async function measureAsync(fn) {
  gc();
  let iterations = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - start < MIN_MS) {
    await fn();
    iterations++;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / iterations;
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function receiverBench(log) {
  const scalar = await collectedResourceMetrics(['counter', 'updown', 'gauge']);
  const mixed = await collectedResourceMetrics();
  const histogram = await collectedResourceMetrics(['histogram']);
  const pb = rm => Buffer.from(ProtobufMetricsSerializer.serializeRequest(rm));
  const json = rm => Buffer.from(JsonMetricsSerializer.serializeRequest(rm));
  const cases = [
    { name: 'protobuf', points: scalar.points, contentType: 'application/x-protobuf', body: pb(scalar.rm) },
    { name: 'JSON', points: scalar.points, contentType: 'application/json', body: json(scalar.rm) },
    { name: 'protobuf + gzip', points: scalar.points, contentType: 'application/x-protobuf', contentEncoding: 'gzip', body: gzipSync(pb(scalar.rm)) },
    { name: 'JSON + gzip', points: scalar.points, contentType: 'application/json', contentEncoding: 'gzip', body: gzipSync(json(scalar.rm)) },
    { name: 'protobuf, histograms only', points: histogram.points, contentType: 'application/x-protobuf', body: pb(histogram.rm) },
    { name: 'protobuf, mixed', points: mixed.points, contentType: 'application/x-protobuf', body: pb(mixed.rm) },
  ];
  let ingested = 0;
  const ring = {
    ingest(resourceMetrics) {
      for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) ingested += m.dataPoints.length;
    },
  };
  const receiver = new OtlpMetricsReceiver({ ring });
  const failures = [];
  // Verify once: every point accepted and handed to the ring.
  for (const c of cases) {
    ingested = 0;
    const out = await receiver.export(c.body, c);
    if (out.status !== 200 || out.accepted !== c.points || out.rejected !== 0 || ingested !== c.points) {
      failures.push(`${c.name}: status ${out.status}, accepted ${out.accepted}, rejected ${out.rejected}, ingested ${ingested} of ${c.points}`);
    }
  }
  const samples = Object.fromEntries(cases.map(c => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const ms = await measureAsync(() => receiver.export(c.body, c));
      samples[c.name].push((c.points / ms) * 1000);
    }
    log(`receiver round ${round + 1}/${ROUNDS}: ${cases.map(c => `${c.name} ${(samples[c.name].at(-1) / 1e6).toFixed(2)}M pts/s`).join(', ')}`);
  }
  return { cases: Object.fromEntries(cases.map(c => [c.name, { bytes: c.body.byteLength, points: c.points }])), samples, failures };
}

// ---- one frame with 100 charts -------------------------------------------------------------

class ArraySource {
  constructor(now) {
    this.now = now;
  }
  async instant() {
    return [];
  }
  async range(_expr, start, end, step) {
    const out = [];
    for (let s = 0; s < 3; s++) {
      const timestamps = [];
      const values = [];
      for (let t = start; t <= end; t += step) {
        timestamps.push(t);
        values.push(s * 10 + ((t / 1000) % 17));
      }
      out.push({ labels: { 'http.route': `/api/r${s}`, 'service.name': 'bench' }, timestamps, values });
    }
    return out;
  }
  async metrics() {
    return [];
  }
}

async function frameBench() {
  const now = Date.now();
  const source = new ArraySource(now);
  const specs = Array.from({ length: 100 }, (_, i) => ({ id: `c${i}`, view: 'rate', metric: `app.counter.${i}`, windowMs: 300_000, width: 600 }));
  let bytes = 0;
  let points = 0;
  const frame = async () => {
    const charts = await Promise.all(specs.map(spec => computeChart(source, spec, now, 1000)));
    const text = JSON.stringify({ type: 'frame', time: now, charts });
    bytes = text.length;
    points = charts.reduce((n, c) => n + c.series.reduce((k, s) => k + s.v.length, 0), 0);
  };
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) samples.push(await measureAsync(frame));
  return { samples, bytes, points };
}

// ---- report --------------------------------------------------------------------------------

function renderReport(env, receiver, frame, render) {
  const best = xs => Math.max(...xs);
  const pb = best(receiver.samples.protobuf);
  const json = best(receiver.samples.JSON);
  const frameBest = Math.min(...frame.samples); // CPU ms
  const targets = [
    { name: 'receiver ingest, protobuf, scalar points, one core', measured: `${(pb / 1e6).toFixed(2)}M points/s`, target: '≥ 1M points/s', ok: pb >= 1e6 },
    {
      name: 'receiver ingest, JSON, scalar points, one core (seed 004)',
      measured: `${(json / 1e3).toFixed(0)}k points/s`,
      target: '≥ 50k points/s',
      ok: json >= 50e3,
    },
    {
      name: 'frame with 100 charts (server: queries + downsampling + JSON)',
      measured: `${frameBest.toFixed(2)} ms`,
      target: '< 16.7 ms (one 60 Hz frame)',
      ok: frameBest < 16.7,
    },
  ];
  if (render)
    targets.push({
      name: 'page: one frame rendered in the browser (median)',
      measured: `${render.medianRenderMs.toFixed(2)} ms`,
      target: '< 16.7 ms',
      ok: render.medianRenderMs < 16.7,
    });
  const lines = [
    '## @fastmeter/dashboard: receiver ingest, frame cost, page render',
    '',
    `Measured ${env.date} on commit \`${env.commit}\`, Node ${env.node}, ${env.cpu} (${env.cores} cores), load average ${env.loadavg} at the start and ${environment().loadavg} at the end.`,
    'Generated by `bench/dashboard.mjs`; a shared, loaded machine makes absolute figures noisy (ratios within one run are steadier).',
    '',
    '| target | measured | goal | |',
    '|---|---:|---|---|',
    ...targets.map(t => `| ${t.name} | ${t.measured} | ${t.target} | ${t.ok ? '✅' : '❌'} |`),
    '',
    '### Receiver (request bodies from the standard OTLP serializers, from what sdk-metrics collected)',
    '',
    'Points per CPU-second of the receiving thread (user + system time, so that other load on the machine does not count).',
    'Scalar bodies: counters, up-down counters and gauges, 3 attributes per point; histogram points carry 16 buckets each.',
    '',
    '| body | points | bytes | best points/s | median points/s |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(receiver.samples).map(
      ([name, xs]) =>
        `| ${name} | ${receiver.cases[name].points.toLocaleString('en')} | ${receiver.cases[name].bytes.toLocaleString('en')} | ${Math.round(best(xs)).toLocaleString('en')} | ${Math.round(median(xs)).toLocaleString('en')} |`,
    ),
    '',
    'Per request: gunzip (when gzip), protobufjs decode (or JSON.parse + fromObject) against the official schema, validation, conversion to',
    "sdk-metrics' ResourceMetrics and `ring.ingest` (a counting stand-in here: the ring's own ingest cost is in the ring's results).",
    '',
    '### Frame with 100 charts',
    '',
    `${frame.points.toLocaleString('en')} points (100 charts × 3 series × 301 steps), ${(frame.bytes / 1024).toFixed(0)} KiB of JSON per frame; CPU time best ${frameBest.toFixed(2)} ms, median ${median(frame.samples).toFixed(2)} ms.`,
    'A session sends a chart again only when its window has moved by one pixel column, so at 60 Hz most ticks send nothing.',
    '',
    '### Page render',
    '',
    render
      ? `From the browser test (chromium ${render.browser ?? ''}, ${render.charts} charts, ${render.frames} frames): first chart drawn ${render.firstFrameMs.toFixed(0)} ms after navigation; frame render median ${render.medianRenderMs.toFixed(2)} ms, p95 ${render.p95RenderMs.toFixed(2)} ms (measured ${render.date}).`
      : 'Not measured: run the browser test (`npx vitest run packages/dashboard/test/browser`) with chromium installed.',
    '',
  ];
  return { markdown: lines.join('\n'), targets };
}

async function main() {
  const log = line => console.log(`[dashboard bench] ${line}`);
  const env = environment();
  log(`load average ${env.loadavg}`);
  const receiver = await receiverBench(log);
  const frame = await frameBench();
  log(`frame with 100 charts: best ${Math.min(...frame.samples).toFixed(2)} ms`);
  const renderFile = join(HERE, '../.cache/artifacts/dashboard/render.json');
  const render = existsSync(renderFile) ? JSON.parse(readFileSync(renderFile, 'utf8')) : undefined;
  const { markdown, targets } = renderReport(env, receiver, frame, render);
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results/dashboard.md'), `${markdown}\n`);
  for (const t of targets) log(`${t.ok ? 'ok  ' : 'MISS'} ${t.name}: ${t.measured} (${t.target})`);
  if (receiver.failures.length > 0) {
    for (const f of receiver.failures) log(`VERIFY FAILED ${f}`);
    process.exitCode = 1;
  } else if (CHECK && targets.some(t => !t.ok)) process.exitCode = 1;
}

await main();
