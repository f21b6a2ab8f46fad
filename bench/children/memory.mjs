// Retained heap per series: one variant per process.
//   node --expose-gc children/memory.mjs <variant> <series>
// Prints one JSON line. The label value strings exist before the baseline (an application's
// routes and methods exist before it records), the code paths are warmed on a throwaway
// instance before it, and the instance measured is created after it, so the figure is what the
// library retains per series: interning structures, per-series state, the attributes it keeps,
// plus its fixed cost spread over the series (negligible at 100k).
// Figure: (heapUsed + arrayBuffers) delta after 4 x gc(), divided by the series count, at three
// points: after recording, after one collect (or scrape), after every series recorded again.
import { fastmeter } from '../lib/sdk.mjs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import prom from 'prom-client';
import { BenchReader, OTEL_BOUNDS, seriesLabels } from '../lib/fixtures.mjs';

const [variant, nArg] = process.argv.slice(2);
const N = Number(nArg);
const L = seriesLabels();
const attrs = i => ({ method: L.method(i), route: L.route(i), status: L.status(i) });
const gc = globalThis.gc;

function settle() {
  for (let k = 0; k < 4; k++) gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
}

function otel(Provider, histogram) {
  return (n, limit) => {
    const reader = new BenchReader({ cardinalitySelector: () => limit });
    const meter = new Provider({ readers: [reader] }).getMeter('mem');
    const inst = histogram ? meter.createHistogram('m') : meter.createCounter('m');
    const record = histogram ? i => inst.record(i % 3000, attrs(i)) : i => inst.add(1, attrs(i));
    return {
      record: () => {
        for (let i = 0; i < n; i++) record(i);
      },
      // Inside a helper, so that no stack slot of the caller keeps the export data alive.
      collect: async () => {
        const { resourceMetrics } = await reader.collect();
        return resourceMetrics.scopeMetrics[0].metrics[0].dataPoints.length;
      },
    };
  };
}

function promClient(histogram) {
  return n => {
    const registry = new prom.Registry();
    const labelNames = ['method', 'route', 'status'];
    const inst = histogram
      ? new prom.Histogram({ name: 'm', help: 'm', labelNames, buckets: OTEL_BOUNDS, registers: [registry] })
      : new prom.Counter({ name: 'm', help: 'm', labelNames, registers: [registry] });
    const record = histogram ? i => inst.observe(attrs(i), i % 3000) : i => inst.inc(attrs(i));
    return {
      record: () => {
        for (let i = 0; i < n; i++) record(i);
      },
      collect: async () => (await inst.get()).values.filter(v => v.metricName === undefined || v.metricName.endsWith('_count')).length,
    };
  };
}

/** Floor: a value trie Map -> Map -> Map -> slot over the existing strings, values in a Float64Array. */
function floorTrie(n) {
  const root = new Map();
  let values = new Float64Array(4);
  let next = 0;
  return {
    record: () => {
      for (let i = 0; i < n; i++) {
        const a = attrs(i);
        let m1 = root.get(a.method);
        if (m1 === undefined) root.set(a.method, (m1 = new Map()));
        let m2 = m1.get(a.route);
        if (m2 === undefined) m1.set(a.route, (m2 = new Map()));
        let slot = m2.get(a.status);
        if (slot === undefined) {
          m2.set(a.status, (slot = next++));
          if (slot >= values.length) {
            const grown = new Float64Array(values.length * 2);
            grown.set(values);
            values = grown;
          }
        }
        values[slot] += 1;
      }
    },
    collect: async () => next,
  };
}

const variants = {
  'fastmeter-counter': otel(fastmeter.FastMeterProvider, false),
  'fastmeter-histogram': otel(fastmeter.FastMeterProvider, true),
  'sdk-metrics-counter': otel(MeterProvider, false),
  'sdk-metrics-histogram': otel(MeterProvider, true),
  'prom-client-counter': promClient(false),
  'prom-client-histogram': promClient(true),
  'floor-trie': floorTrie,
};

async function main() {
  const make = variants[variant];
  if (!make || !(N > 0)) throw new Error(`usage: memory.mjs <${Object.keys(variants).join('|')}> <series>`);
  // Warm every code path on a throwaway instance of the same kind.
  const warm = make(200, 300);
  warm.record();
  await warm.collect();
  warm.record();

  const base = settle();
  const subject = make(N, N + 10);
  subject.record();
  const afterRecord = settle();
  const collected = await subject.collect();
  const afterCollect = settle();
  subject.record();
  const afterRerecord = settle();
  const recollected = await subject.collect(); // keeps `subject` alive up to here
  const per = x => Math.round(((x - base) / N) * 10) / 10;
  const out = {
    variant,
    series: N,
    collected,
    recollected,
    afterRecord: per(afterRecord),
    afterCollect: per(afterCollect),
    afterRerecord: per(afterRerecord),
  };
  if (collected !== N || recollected !== N) out.error = `collected ${collected} then ${recollected} series, expected ${N}`;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch(err => {
  process.stdout.write(`${JSON.stringify({ variant, error: String(err?.stack ?? err) })}\n`);
  process.exitCode = 1;
});
