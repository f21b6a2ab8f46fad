#!/usr/bin/env node
// @fastmeter/node and the timers of @fastmeter/sdk: what they cost, side by side
// in one process. Writes bench/results/node.md.
//
//   cd bench && node --expose-gc node.mjs [--quick]
//
// 1. Timers: `startTimer(h, attrs)` + `end()` and `time(h, fn, attrs)` against
//    the hand-written equivalent (performance.now() around h.record) on the same
//    fastmeter histogram, and prom-client's `histogram.startTimer(labels)()`.
//    ns per timed operation (one start + one end/record), median of rounds,
//    interleaved. Recorded counts are read back and must equal the operations.
// 2. Allocation: young-generation collections (scavenges) during 2M timed
//    operations. Even the hand-written timer allocates: a fractional duration
//    passed to record() is boxed (a 16-byte HeapNumber) at the call. time() on a
//    synchronous function must allocate no more than that; startTimer no more
//    than a loop that creates and calls a closure of the same shape (four
//    captured variables, the elapsed time stored in it) without recording.
// 3. Runtime metrics: the cost of one collection of fastmeter's runtime metrics
//    (reader.collect() with only them registered) against
//    @opentelemetry/instrumentation-runtime-node on sdk-metrics' MeterProvider,
//    and against an empty provider.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { FastMeterProvider, startTimer, time } from '@fastmeter/sdk';
import { RuntimeMetrics } from '@fastmeter/node';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import prom from 'prom-client';

const QUICK = process.argv.includes('--quick') || process.argv.includes('--check') || process.env.QUICK === '1';
const OPS = QUICK ? 200_000 : 2_000_000;
const ROUNDS = QUICK ? 3 : 9;
const ALLOC_OPS = QUICK ? 500_000 : 2_000_000;
const COLLECTS = QUICK ? 50 : 400;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
const problems = [];

class Reader extends MetricReader {
  async onShutdown() {}
  async onForceFlush() {}
}

const ATTRS = Object.freeze({ 'http.request.method': 'GET', 'http.route': '/a' });
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function fastmeterHistogram() {
  const reader = new Reader();
  const provider = new FastMeterProvider({ readers: [reader] });
  const h = provider.getMeter('bench').createHistogram('op.duration', { unit: 's', advice: { explicitBucketBoundaries: BOUNDS } });
  return { reader, h };
}

async function countOf(reader) {
  const { resourceMetrics } = await reader.collect();
  let n = 0;
  for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) for (const p of m.dataPoints) n += p.value.count;
  return n;
}

// ---- 1. timers ---------------------------------------------------------------------------------

const work = () => 1;
const variants = {
  'hand-written: performance.now() around h.record': (h, n) => {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      work();
      h.record((performance.now() - t) / 1000, ATTRS);
    }
  },
  'startTimer(h, attrs) + end()': (h, n) => {
    for (let i = 0; i < n; i++) {
      const end = startTimer(h, ATTRS);
      work();
      end();
    }
  },
  'time(h, fn, attrs), synchronous fn': (h, n) => {
    for (let i = 0; i < n; i++) time(h, work, ATTRS);
  },
};

function promTimer() {
  const registry = new prom.Registry();
  const h = new prom.Histogram({ name: 'op_duration_seconds', help: 'x', labelNames: ['method', 'route'], buckets: BOUNDS, registers: [registry] });
  const labels = { method: 'GET', route: '/a' };
  return {
    run(n) {
      for (let i = 0; i < n; i++) {
        const end = h.startTimer(labels);
        work();
        end();
      }
    },
    async count() {
      const m = await registry.getSingleMetricAsString('op_duration_seconds');
      return Number(/op_duration_seconds_count\{[^}]*\} (\d+)/.exec(m)?.[1] ?? -1);
    },
  };
}

async function benchTimers() {
  const names = [...Object.keys(variants), 'prom-client: histogram.startTimer(labels) + end()'];
  const samples = new Map(names.map(n => [n, []]));
  const subjects = new Map();
  for (const name of Object.keys(variants)) subjects.set(name, fastmeterHistogram());
  const p = promTimer();
  // Warm-up (JIT) with the same code paths.
  for (const [name, fn] of Object.entries(variants)) fn(subjects.get(name).h, 50_000);
  p.run(20_000);
  const done = new Map(names.map(n => [n, 0]));
  for (const name of Object.keys(variants)) done.set(name, 50_000);
  done.set(names[3], 20_000);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length];
      const n = name.startsWith('prom-client') ? Math.floor(OPS / 4) : OPS;
      gc();
      const t0 = performance.now();
      if (name.startsWith('prom-client')) p.run(n);
      else variants[name](subjects.get(name).h, n);
      const ms = performance.now() - t0;
      samples.get(name).push((ms * 1e6) / n);
      done.set(name, done.get(name) + n);
    }
  }
  for (const name of Object.keys(variants)) {
    const got = await countOf(subjects.get(name).reader);
    if (got !== done.get(name)) problems.push(`${name}: recorded ${got}, expected ${done.get(name)}`);
  }
  const promGot = await p.count();
  if (promGot !== done.get(names[3])) problems.push(`prom-client: recorded ${promGot}, expected ${done.get(names[3])}`);
  return names.map(name => ({ name, ns: median(samples.get(name)) }));
}

// ---- 2. allocation -----------------------------------------------------------------------------

/** Keeps each closure reachable for one iteration, so V8 cannot skip allocating it. */
const sink = { value: null };
/** A function returning a closure of startTimer's shape (four captured variables, the elapsed time stored), recording nothing. */
function makeClosure(target, attributes) {
  const start = performance.now();
  let elapsed = -1;
  return more => {
    if (elapsed >= 0) return elapsed;
    elapsed = (performance.now() - start) / 1000;
    return more === target || attributes === undefined ? 0 : elapsed;
  };
}

function closureBaseline(n) {
  for (let i = 0; i < n; i++) {
    sink.value = makeClosure(sink, ATTRS);
    sink.value();
  }
}

function scavengesDuring(fn) {
  let scavenges = 0;
  const obs = new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
  });
  obs.observe({ entryTypes: ['gc'] });
  gc();
  return new Promise(resolve => {
    setImmediate(() => {
      scavenges = 0;
      fn();
      // GC entries are delivered asynchronously.
      setTimeout(() => {
        obs.disconnect();
        resolve(scavenges);
      }, 50);
    });
  });
}

async function benchAllocation() {
  const rows = [];
  const { h } = fastmeterHistogram();
  // Warm up so that the measured loops run optimised code.
  for (const fn of Object.values(variants)) fn(h, 20_000);
  closureBaseline(20_000);
  for (const [name, fn] of Object.entries(variants)) rows.push({ name, scavenges: await scavengesDuring(() => fn(h, ALLOC_OPS)) });
  rows.push({
    name: 'baseline: a function returning a closure of the same shape, called once, recording nothing',
    scavenges: await scavengesDuring(() => closureBaseline(ALLOC_OPS)),
  });
  return rows;
}

// ---- 3. runtime metrics collect ----------------------------------------------------------------

async function collectCost(reader) {
  for (let i = 0; i < 10; i++) await reader.collect();
  const ms = [];
  for (let i = 0; i < COLLECTS; i++) {
    // Some event-loop activity between collections, as in a running service.
    await new Promise(r => setTimeout(r, 1));
    const t0 = performance.now();
    const { resourceMetrics } = await reader.collect();
    ms.push(performance.now() - t0);
    if (i === 0 && resourceMetrics.scopeMetrics.length === 0 && reader.expectData) problems.push(`${reader.label}: collected nothing`);
  }
  return { p50: median(ms), p99: quantile(ms, 0.99) };
}

async function benchRuntime() {
  const empty = new Reader();
  new FastMeterProvider({ readers: [empty] });

  const ours = new Reader();
  ours.expectData = true;
  ours.label = 'fastmeter runtime metrics';
  const provider = new FastMeterProvider({ readers: [ours] });
  const runtime = new RuntimeMetrics();
  runtime.start(provider.getMeter('@fastmeter/node'));

  const theirs = new Reader();
  theirs.expectData = true;
  theirs.label = 'instrumentation-runtime-node';
  const sdk = new MeterProvider({ readers: [theirs] });
  const instrumentation = new RuntimeNodeInstrumentation({ monitoringPrecision: 10 });
  instrumentation.setMeterProvider(sdk);
  instrumentation.enable();

  await new Promise(r => setTimeout(r, 200));
  const rows = [];
  // Interleaved in two halves so that load changes hit both.
  const half = { empty: [], ours: [], theirs: [] };
  for (let k = 0; k < 2; k++) {
    half.ours.push(await collectCost(ours));
    half.theirs.push(await collectCost(theirs));
    half.empty.push(await collectCost(empty));
  }
  const merge = list => ({ p50: median(list.map(x => x.p50)), p99: Math.max(...list.map(x => x.p99)) });
  const series = rm => rm.scopeMetrics.reduce((n, sm) => n + sm.metrics.reduce((m, x) => m + x.dataPoints.length, 0), 0);
  rows.push({ name: 'fastmeter runtime metrics on FastMeterProvider', ...merge(half.ours), series: series((await ours.collect()).resourceMetrics) });
  rows.push({
    name: 'instrumentation-runtime-node on sdk-metrics MeterProvider',
    ...merge(half.theirs),
    series: series((await theirs.collect()).resourceMetrics),
  });
  rows.push({ name: 'empty FastMeterProvider (the floor)', ...merge(half.empty), series: 0 });
  runtime.stop();
  instrumentation.disable();
  return rows;
}

// ---- report ------------------------------------------------------------------------------------

function median(xs) {
  return quantile(xs, 0.5);
}
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function git(...args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  const loadStart = os.loadavg()[0];
  const timers = await benchTimers();
  const alloc = await benchAllocation();
  const runtime = await benchRuntime();
  const loadEnd = os.loadavg()[0];

  const ns = name => timers.find(t => t.name.startsWith(name)).ns;
  const hand = ns('hand-written');
  const scav = name => alloc.find(a => a.name.startsWith(name)).scavenges;
  const rt = name => runtime.find(r => r.name.startsWith(name));
  const targets = [
    ['startTimer + end ≤ 2× the hand-written timer', `${(ns('startTimer') / hand).toFixed(2)}×`, ns('startTimer') <= 2 * hand],
    ['time(h, fn) synchronous ≤ 1.5× the hand-written timer', `${(ns('time(') / hand).toFixed(2)}×`, ns('time(') <= 1.5 * hand],
    [
      'startTimer + end faster than prom-client startTimer',
      `${(ns('prom-client') / ns('startTimer')).toFixed(1)}× faster`,
      ns('startTimer') < ns('prom-client'),
    ],
    [
      'time(h, fn) synchronous allocates no more than the hand-written timer',
      `${scav('time(')} vs ${scav('hand-written')}`,
      scav('time(') <= scav('hand-written') + 1,
    ],
    [
      'startTimer allocates its closure only (scavenges ≤ the same closure without recording, + 1)',
      `${scav('startTimer')} vs ${scav('baseline')}`,
      scav('startTimer') <= scav('baseline') + 1,
    ],
    ['runtime metrics collect p50 < 1 ms', `${rt('fastmeter').p50.toFixed(3)} ms`, rt('fastmeter').p50 < 1],
    [
      'runtime metrics collect ≤ instrumentation-runtime-node on sdk-metrics',
      `${(rt('instrumentation').p50 / rt('fastmeter').p50).toFixed(1)}× faster`,
      rt('fastmeter').p50 <= rt('instrumentation').p50,
    ],
  ];

  const lines = [
    '# @fastmeter/node and timers',
    '',
    `Generated by \`node --expose-gc bench/node.mjs${QUICK ? ' --quick' : ''}\` on ${new Date().toISOString()}, commit ${git('rev-parse', '--short', 'HEAD')}.`,
    `Node ${process.version}, ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length} cores, load average ${loadStart.toFixed(2)} → ${loadEnd.toFixed(2)}` +
      (loadStart > 1.5 ? ' (a busy machine: absolute figures are inflated; the ratios, measured interleaved in one process, hold better).' : '.'),
    '',
    '## Targets',
    '',
    '| target | measured | |',
    '| --- | ---: | :---: |',
    ...targets.map(([t, m, ok]) => `| ${t} | ${m} | ${ok ? '✅' : '❌'} |`),
    '',
    `## Timers (ns per timed operation, median of ${ROUNDS} interleaved rounds of ${OPS.toLocaleString('en')})`,
    '',
    'A timed operation is one start and one stop around a trivial function, recording into a histogram with 11 buckets and a',
    'frozen 2-attribute set (prom-client: a label object). Recorded counts read back and checked.',
    '',
    '| variant | ns/op |',
    '| --- | ---: |',
    ...timers.map(t => `| ${t.name} | ${t.ns.toFixed(1)} |`),
    '',
    `## Allocation (scavenges during ${ALLOC_OPS.toLocaleString('en')} timed operations)`,
    '',
    '| variant | scavenges |',
    '| --- | ---: |',
    ...alloc.map(a => `| ${a.name} | ${a.scavenges} |`),
    '',
    `## Runtime metrics: one collection (ms, ${COLLECTS * 2} collections each, 1 ms of idle loop between them)`,
    '',
    '| subject | series | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: |',
    ...runtime.map(r => `| ${r.name} | ${r.series} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} |`),
    '',
    'Between collections, the runtime metrics cost what the instrumentation costs too: a libuv timer sampling the event-loop',
    'delay every 10 ms (`monitorEventLoopDelay`) and a `PerformanceObserver` entry per GC.',
    '',
  ];
  if (problems.length > 0) lines.push('## Verification problems', '', ...problems.map(p => `- ${p}`), '');
  const report = lines.join('\n');
  console.log(report);
  if (!QUICK) {
    const out = fileURLToPath(new URL('results/node.md', import.meta.url));
    mkdirSync(fileURLToPath(new URL('results/', import.meta.url)), { recursive: true });
    writeFileSync(out, report);
  }
  if (problems.length > 0) process.exit(1);
  if (QUICK && targets.some(([, , ok]) => !ok)) console.warn('(targets missed in a quick run are reported, not enforced)');
}

await main();
// Timers and observers of the runtime subjects are stopped; exit without waiting for unref'd handles.
process.exit(process.exitCode ?? 0);
