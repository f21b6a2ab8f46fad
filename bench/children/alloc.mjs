// Allocation check: RECORDS records into an existing series, one variant per process.
//   node --expose-gc children/alloc.mjs <variant> <records>
// Counts the garbage collections during the loop with a PerformanceObserver ('gc' entries, by
// kind) and the heap growth with process.memoryUsage() before and after (without and with gc()).
// A record path that allocates nothing runs 10M records without a single scavenge. For fresh
// literals the caller's own object literal may be allocated (unless V8 removes it), so those
// variants compare with 'baseline-literal': the same loop with the literal kept and no SDK call
// (histograms with 'baseline-literal-double', which also boxes the fractional value).
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { fastmeter } from '../lib/sdk.mjs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BenchReader, HV, L3 } from '../lib/fixtures.mjs';
import { collectPoints, otelTotals } from '../lib/verify.mjs';

const [variant, nArg] = process.argv.slice(2);
const RECORDS = Number(nArg);
const gc = globalThis.gc;

const fmReader = new BenchReader();
const fm = new fastmeter.FastMeterProvider({ readers: [fmReader] }).getMeter('alloc');
const sdkReader = new BenchReader();
const sdk = new MeterProvider({ readers: [sdkReader] }).getMeter('alloc');
const attrs = () => ({ method: L3[0], route: L3[1], status: L3[2] });

let kept = null;
let keptValue = 0;
const fmC = fm.createCounter('c');
const fmH = fm.createHistogram('h');
const sdkC = sdk.createCounter('c');
const reusedFm = attrs();
const reusedSdk = attrs();
const fmBoundC = fm.createCounter('c_bound');
const bound = typeof fastmeter.bind === 'function' ? fastmeter.bind(fmBoundC, attrs()) : null;

function baselineLiteral(n) {
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    kept = { method: L3[o], route: L3[o + 1], status: L3[o + 2] };
  }
}
// A double passed to a function V8 does not inline is boxed (a 16-byte HeapNumber) at the call:
// the caller's cost of record(v, literal) with a fractional v, here made by keeping v in a variable.
function baselineLiteralDouble(n) {
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    kept = { method: L3[o], route: L3[o + 1], status: L3[o + 2] };
    keptValue = HV[i & 1023];
  }
}
function fmFresh3(n) {
  const c = fmC;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    c.add(1, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
}
function fmReused(n) {
  const c = fmC;
  const a = reusedFm;
  for (let i = 0; i < n; i++) c.add(1, a);
}
function fmNoAttrs(n) {
  const c = fmC;
  for (let i = 0; i < n; i++) c.add(1);
}
function fmBound(n) {
  const h = bound;
  for (let i = 0; i < n; i++) h.add(1);
}
function fmHistogram3(n) {
  const h = fmH;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    h.record(HV[i & 1023], { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
}
function sdkFresh3(n) {
  const c = sdkC;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    c.add(1, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
}
function sdkReused(n) {
  const c = sdkC;
  const a = reusedSdk;
  for (let i = 0; i < n; i++) c.add(1, a);
}

// [loop, reader to verify with, metric, 'sum' | 'count']
const variants = {
  'baseline-literal': [baselineLiteral],
  'baseline-literal-double': [baselineLiteralDouble],
  'fastmeter-fresh3': [fmFresh3, fmReader, 'c', 'sum'],
  'fastmeter-reused': [fmReused, fmReader, 'c', 'sum'],
  'fastmeter-noattrs': [fmNoAttrs, fmReader, 'c', 'sum'],
  'fastmeter-bound': [fmBound, fmReader, 'c_bound', 'sum'],
  'fastmeter-histogram3': [fmHistogram3, fmReader, 'h', 'count'],
  'sdk-metrics-fresh3': [sdkFresh3, sdkReader, 'c', 'sum'],
  'sdk-metrics-reused': [sdkReused, sdkReader, 'c', 'sum'],
};

const KIND = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'markSweep',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakCallbacks',
};
const mem = () => {
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};
const tick = ms => new Promise(r => setTimeout(r, ms));

async function main() {
  const entry = variants[variant];
  if (!entry || !(RECORDS > 0)) throw new Error(`usage: alloc.mjs <${Object.keys(variants).join('|')}> <records>`);
  const [loop, reader, metric, field] = entry;
  if (loop === fmBound && bound === null) {
    process.stdout.write(`${JSON.stringify({ variant, na: 'n/a (bind not exported)' })}\n`);
    return;
  }
  const warm = Math.min(1_000_000, RECORDS / 10);
  loop(warm); // creates the series and gets the loop optimised
  loop(warm);

  const gcs = { scavenge: 0, markSweep: 0, incremental: 0, weakCallbacks: 0 };
  let gcMs = 0;
  let t0 = 0;
  const observer = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      if (e.startTime < t0) continue;
      const kind = KIND[e.detail?.kind ?? e.kind] ?? 'other';
      gcs[kind] = (gcs[kind] ?? 0) + 1;
      gcMs += e.duration;
    }
  });
  gc();
  gc();
  await tick(20);
  observer.observe({ entryTypes: ['gc'] });
  const before = mem();
  t0 = performance.now();
  const h0 = process.hrtime.bigint();
  loop(RECORDS);
  const h1 = process.hrtime.bigint();
  const grown = mem() - before;
  await tick(50); // gc entries are delivered asynchronously
  observer.disconnect();
  gc();
  gc();
  const retained = mem() - before;

  const out = {
    variant,
    records: RECORDS,
    nsPerOp: Math.round((Number(h1 - h0) / RECORDS) * 100) / 100,
    gcs,
    gcMs: Math.round(gcMs * 10) / 10,
    heapGrowth: grown,
    retainedGrowth: retained,
    kept: kept === null ? 0 : 1 + (keptValue > 0 ? 1 : 0),
  };
  if (reader) {
    const totals = otelTotals((await collectPoints(reader)).get(metric));
    const want = RECORDS + 2 * warm;
    out.recorded = totals[field];
    if (totals[field] !== want || totals.series !== 1) out.error = `recorded ${field}=${totals[field]} in ${totals.series} series, expected ${want} in 1`;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch(err => {
  process.stdout.write(`${JSON.stringify({ variant, error: String(err?.stack ?? err) })}\n`);
  process.exitCode = 1;
});
