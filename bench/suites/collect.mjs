// Collect + export of SERIES (100k) cumulative counter series: reader.collect() and then the
// standard serialisers an exporter would run on the result (Prometheus text through
// exporter-prometheus' PrometheusSerializer, OTLP JSON through otlp-transformer). prom-client's
// registry.metrics() (collect + text in one call) is shown beside them.
//
// Every series is recorded again (untimed) before each timed collect, as between two scrapes of
// a busy service, so no implementation can return an unchanged cached result.
import { fastmeter } from '../lib/sdk.mjs';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import prom from 'prom-client';
import { config, selected } from '../lib/config.mjs';
import { BenchReader, seriesLabels } from '../lib/fixtures.mjs';
import { median } from '../lib/harness.mjs';

const gc = globalThis.gc;
const now = () => process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;

function otelSide(impl, Provider) {
  const reader = new BenchReader();
  const counter = new Provider({ readers: [reader] }).getMeter('bench').createCounter('requests');
  const serializer = new PrometheusSerializer();
  return {
    impl,
    add: (i, L) => counter.add(1, { method: L.method(i), route: L.route(i), status: L.status(i) }),
    // Returns the phase timings (ms) and what to verify.
    async run() {
      const t0 = now();
      const { resourceMetrics, errors } = await reader.collect();
      const t1 = now();
      const text = serializer.serialize(resourceMetrics);
      const t2 = now();
      const json = JsonMetricsSerializer.serializeRequest(resourceMetrics);
      const t3 = now();
      if (errors.length) throw new Error(`collect/${impl}: ${errors.join('; ')}`);
      const points = resourceMetrics.scopeMetrics.flatMap(sm => sm.metrics).find(m => m.descriptor.name === 'requests')?.dataPoints ?? [];
      let sum = 0;
      for (const p of points) sum += p.value;
      return {
        phases: { collect: ms(t0, t1), prometheus: ms(t1, t2), otlpJson: ms(t2, t3) },
        series: points.length,
        sum,
        textSeries: countLines(text, 'requests_total{'),
        jsonBytes: json.byteLength,
      };
    },
  };
}

function promSide() {
  const registry = new prom.Registry();
  const counter = new prom.Counter({ name: 'requests', help: 'requests', labelNames: ['method', 'route', 'status'], registers: [registry] });
  return {
    impl: 'prom-client',
    add: (i, L) => counter.inc({ method: L.method(i), route: L.route(i), status: L.status(i) }),
    async run() {
      const t0 = now();
      const text = await registry.metrics();
      const t1 = now();
      const series = countLines(text, 'requests{');
      let sum = 0;
      for (const line of text.split('\n')) if (line.startsWith('requests{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      return { phases: { prometheus: ms(t0, t1) }, series, sum, textSeries: series, jsonBytes: 0 };
    },
  };
}

function countLines(text, prefix) {
  let n = 0;
  for (let at = text.indexOf(prefix); at !== -1; at = text.indexOf(prefix, at + 1)) if (at === 0 || text[at - 1] === '\n') n++;
  return n;
}

function stats(values) {
  return { best: Math.min(...values), median: median(values) };
}

export async function runCollect(log) {
  const N = config.series;
  if (N > 100_000) throw new Error('SERIES: at most 100000 distinct attribute sets are defined');
  const L = seriesLabels();
  const sides = [otelSide('fastmeter', fastmeter.FastMeterProvider), otelSide('sdk-metrics', MeterProvider), promSide()].filter(s =>
    selected(`collect/${s.impl}`),
  );
  if (sides.length === 0) return null;
  const touches = new Map(sides.map(s => [s.impl, 0]));
  const touch = s => {
    for (let i = 0; i < N; i++) s.add(i, L);
    touches.set(s.impl, touches.get(s.impl) + 1);
  };
  const timings = new Map(sides.map(s => [s.impl, []]));
  const failures = [];
  const check = (s, r) => {
    const want = N * touches.get(s.impl);
    if (r.series !== N || r.textSeries !== N || r.sum !== want || (s.impl !== 'prom-client' && r.jsonBytes < N * 20)) {
      failures.push(
        `collect/${s.impl}: series ${r.series} (text ${r.textSeries}), sum ${r.sum}, OTLP JSON ${r.jsonBytes} B; expected ${N} series summing to ${want}`,
      );
    }
  };

  log(`collect: ${N} series, ${config.collectRounds} rounds`);
  for (const s of sides) {
    touch(s);
    check(s, await s.run()); // warm-up, verified too
  }
  for (let r = 0; r < config.collectRounds; r++) {
    for (let j = 0; j < sides.length; j++) {
      const s = sides[(j + r) % sides.length];
      touch(s);
      gc();
      const result = await s.run();
      check(s, result);
      timings.get(s.impl).push(result.phases);
    }
    log(`  round ${r + 1}/${config.collectRounds} done`);
  }
  if (failures.length) throw new Error(`collect: recorded data does not match:\n  ${failures.join('\n  ')}`);
  log(`  ok   every collect returned ${N} series with the expected totals`);

  const out = new Map();
  for (const s of sides) {
    const t = timings.get(s.impl);
    const row = {};
    for (const phase of Object.keys(t[0])) row[phase] = stats(t.map(p => p[phase]));
    if (t[0].collect !== undefined) {
      row.collectPrometheus = stats(t.map(p => p.collect + p.prometheus));
      row.collectOtlpJson = stats(t.map(p => p.collect + p.otlpJson));
    } else row.collectPrometheus = row.prometheus;
    out.set(s.impl, row);
  }
  return { series: N, rounds: config.collectRounds, results: out };
}
