// One case of bench/processors.mjs in a fresh process: its own JIT state, so no case inherits
// another's optimisation decisions (which function got optimised first decides what V8 inlines
// into what: measured here, that alone moved one case by 2×). Prints one JSON line:
// { id, best, median, iters, offered, estimate, kept, p } (ns per call; totals read back).
//
//   node --expose-gc processors/case.mjs <id> [--quick]
//   node processors/case.mjs <id> --count=N    records N times and exits (for instruction counts
//                                              under valgrind: no timing, no harness)
import { FastMeterProvider } from '@fastmeter/sdk';
import { AdaptiveSampler, CircuitBreakerExporter } from '@fastmeter/processors';
import { config } from '../lib/config.mjs';
import { BenchReader, HV, L3 } from '../lib/fixtures.mjs';

const id = process.argv[2];
const count = Number(process.argv.find(a => a.startsWith('--count='))?.slice('--count='.length) ?? 0);
const noopExporter = { export: (_m, cb) => cb({ code: 0 }), forceFlush: async () => {}, shutdown: async () => {} };
// p = 1: a budget no load reaches. 10× over: budget 100,000/s, offered 1,000,000/s while settling.
const sampler =
  id.endsWith('/p=1') || id === 'c3/processors'
    ? new AdaptiveSampler({ budget: 1e15, totalBudget: 1e15, backpressure: false, intervalMillis: 3_600_000 })
    : id.endsWith('/10x-over')
      ? new AdaptiveSampler({ budget: count > 0 ? 1000 : 100_000, totalBudget: 1e15, backpressure: false, intervalMillis: 3_600_000 })
      : null;
const processors = sampler === null ? [] : [sampler, new CircuitBreakerExporter(noopExporter)];
const reader = new BenchReader();
const provider = new FastMeterProvider({ readers: [reader], processors });
const meter = provider.getMeter('bench');
const INSTRUMENT = id.startsWith('c3') ? meter.createCounter('c3') : meter.createHistogram(id.slice(0, 2));

function h3(n) {
  const h = INSTRUMENT;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    h.record(HV[i & 1023], { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function c3(n) {
  const c = INSTRUMENT;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    c.add(1, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function h0(n) {
  const h = INSTRUMENT;
  for (let i = 0; i < n; i++) h.record(HV[i & 1023]);
  return n;
}
const fn = { h3, c3, h0 }[id.slice(0, 2)];

let settleOffered = 0;
if (id.endsWith('/10x-over')) {
  // 100,000 offered per 100 ms of wall time against 100,000/s: the sampler settles at k = ceil(log2 10) = 4.
  // Under valgrind (--count) everything is ~50× slower: 10,000 per second against 1,000/s instead.
  const perWindow = count > 0 ? 10_000 : 100_000;
  const windowMillis = count > 0 ? 1000 : 100;
  for (let w = 0; w < 4; w++) {
    const start = performance.now();
    fn(perWindow);
    settleOffered += perWindow;
    await new Promise(resolve => setTimeout(resolve, Math.max(0, windowMillis - (performance.now() - start))));
    sampler.adapt();
  }
  const p = sampler.stats().instruments.h3.probability;
  if (p !== 1 / 16) {
    console.log(
      JSON.stringify({ error: `the 10× sampler settled at p = ${p}, not 1/16 (machine too loaded to offer ${perWindow} records per ${windowMillis} ms?)` }),
    );
    process.exit(1);
  }
}

// Many short calls first, so that the loop function gets optimised as a whole (not only through
// on-stack replacement inside one long call): without this, each case's process landed in one of
// two speeds (about 28 or 33 ns for the same code), whichever its first long run produced.
for (let i = 0; i < 4000; i++) fn(256);
settleOffered += 4000 * 256;

if (count > 0) {
  fn(count);
  console.log(JSON.stringify({ id, count }));
  process.exit(0);
}

// Timed in CPU time of this process (user + system), not wall time: on a shared machine wall
// time also counts the time other processes had the core.
const gc = globalThis.gc;
const bench = { id, iters: 0 };
const cpuNs = n => {
  gc();
  const start = process.cpuUsage();
  fn(n);
  const used = process.cpuUsage(start);
  bench.iters += n;
  return ((used.user + used.system) * 1000) / n;
};
let n = 8192;
const warmUntil = performance.now() + config.warmMs * 4;
while (performance.now() < warmUntil || n < 65_536) {
  cpuNs(n);
  n *= 2;
}
const perCall = cpuNs(n);
n = Math.min(Math.max(config.minIters, (config.targetMs * 1e6) / perCall), (config.maxRunMs * 1e6) / perCall);
n = Math.ceil(n / 1024) * 1024;
const runs = [];
for (let r = 0; r < config.rounds; r++) runs.push(cpuNs(n));
const sorted = [...runs].sort((a, b) => a - b);
const result = { best: sorted[0], median: sorted[sorted.length >> 1] };
const { resourceMetrics } = await reader.collect();
const points = resourceMetrics.scopeMetrics.flatMap(s => s.metrics).flatMap(m => m.dataPoints);
const recorded = points.reduce((a, p) => a + (typeof p.value === 'number' ? p.value : p.value.count), 0);
const offered = bench.iters + settleOffered;
const out = { id, best: result.best, median: result.median, iters: bench.iters, offered, estimate: recorded };
if (sampler !== null && id.startsWith('h'))
  Object.assign(out, { kept: sampler.stats().instruments[id.slice(0, 2)].kept, p: sampler.stats().instruments[id.slice(0, 2)].probability });
if (points.length === 0) out.error = 'nothing recorded';
else if (id.endsWith('/10x-over') ? Math.abs(recorded / offered - 1) > 0.01 : recorded !== offered) out.error = `recorded ${recorded}, ran ${offered}`;
else if (id.endsWith('/10x-over') && out.p !== 1 / 16) out.error = 'p moved during the timed runs';
if (config.check) out.check = true;
console.log(JSON.stringify(out));
await provider.shutdown();
process.exit(out.error ? 1 : 0);
