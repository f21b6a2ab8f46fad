// Corner cases behind both real exporters at once: one provider with a
// PrometheusExporter and a PeriodicExportingMetricReader + OTLP/protobuf
// exporter, fed the edge scenario; FastMeterProvider against sdk-metrics'
// MeterProvider, then exact values for what sdk-metrics does not decide for us.
//
// Known differences, excluded from the differential and asserted on their own:
//   * `limited` (view cardinality limit 3), phase 2: fastmeter bounds the series a
//     stream holds, so the new attribute set {s:'f'} goes to the overflow series;
//     sdk-metrics applies the limit to one collection interval only, so a cumulative
//     reader ends up with 4 series for a limit of 3 (a, b, f, overflow).
//   * `resetting` (observable counter whose total went from 10 to 4), Prometheus,
//     phase 2: sdk-metrics' second reader reports 14 (it adds the restarted total to
//     its memo) while its OTLP reader reports 4 with a new start time; fastmeter
//     reports 4 with a new start time to both. That is an sdk-metrics bug.
//   * `obs.hist` (histogram view on an observable gauge): was a fastmeter bug (each
//     collection's observation added up); regression tests at the end.
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EDGE_SCOPE, EDGE_VIEWS, VIEWS_SCOPE, edgeScenario } from './helpers/edge-scenario.js';
import { type Decoded, OtlpSink, sortedRequest, summarize } from './helpers/otlp.js';
import { parseExposition, scrape, startPrometheusExporter, sampleValue } from './helpers/prometheus.js';
import { testResource } from './helpers/scenario.js';
import { captureDiag, withTimeout } from './helpers/util.js';

type Kind = 'fastmeter' | 'sdk-metrics';
const T0 = Date.UTC(2024, 8, 1, 12, 0, 0, 250);
const T1 = T0 + 1000;
const T2 = T0 + 2000;
const T3 = T0 + 2500;
const T4 = T0 + 3000;
const T5 = T0 + 4000;
const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);

const E = { otel_scope_name: EDGE_SCOPE.name, otel_scope_schema_url: EDGE_SCOPE.schemaUrl };
const V = { otel_scope_name: VIEWS_SCOPE.name, otel_scope_version: VIEWS_SCOPE.version };

interface Run {
  otlp: Decoded[];
  scrapes: string[];
  diag: string[];
}

let sink: OtlpSink;
const diagnostics = captureDiag();

function newProvider(kind: Kind, readers: (PrometheusExporter | PeriodicExportingMetricReader)[], views = EDGE_VIEWS) {
  const options = { resource: testResource(), views, readers };
  return kind === 'fastmeter' ? new FastMeterProvider(options) : new MeterProvider(options);
}

function otlpReader(temporalityPreference: AggregationTemporalityPreference) {
  const exporter = new OTLPMetricExporter({ url: sink.url, temporalityPreference, timeoutMillis: 5000 });
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600_000, exportTimeoutMillis: 5000 });
}

/** The edge scenario through one provider with both readers; OTLP collects before each scrape. */
async function runEdge(kind: Kind, preference: AggregationTemporalityPreference): Promise<Run> {
  diagnostics.messages.splice(0);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  const { exporter: prometheus, url } = await startPrometheusExporter();
  const provider = newProvider(kind, [otlpReader(preference), prometheus]);
  const scrapes: string[] = [];
  try {
    const scenario = edgeScenario(provider);
    vi.setSystemTime(T1);
    scenario.phase1();
    vi.setSystemTime(T2);
    await withTimeout(provider.forceFlush(), 5000, 'forceFlush 1');
    scrapes.push(await scrape(url));
    vi.setSystemTime(T3);
    scenario.phase2();
    vi.setSystemTime(T4);
    await withTimeout(provider.forceFlush(), 5000, 'forceFlush 2');
    scrapes.push(await scrape(url));
  } finally {
    vi.setSystemTime(T5);
    await withTimeout(provider.shutdown(), 5000, 'shutdown').catch(() => {});
    await withTimeout(prometheus.stopServer(), 5000, 'stopServer');
    vi.useRealTimers();
  }
  expect(sink.rejected).toEqual([]);
  return { otlp: sink.take().map(c => sortedRequest(c.request)), scrapes, diag: diagnostics.messages.splice(0) };
}

/** Removes the named metrics (known differences) from a decoded request. */
function without(request: Decoded, names: string[]): Decoded {
  const copy = structuredClone(request);
  for (const rm of copy.resourceMetrics) for (const sm of rm.scopeMetrics) sm.metrics = sm.metrics.filter((m: Decoded) => !names.includes(m.name));
  return copy;
}

/** Metric blocks of an exposition by family name (scopes may come in another order, see prometheus.test.ts). */
function blocks(text: string, excluded: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const block of text.split(/\n(?=# HELP )/)) {
    const name = /^# HELP (\S+)/.exec(block)?.[1] ?? '';
    if (!excluded.includes(name)) out[name] = block.trimEnd();
  }
  return out;
}

beforeAll(async () => {
  sink = await OtlpSink.start();
});
afterAll(async () => {
  await sink?.close();
  diagnostics.dispose();
});

describe.each([
  ['CUMULATIVE', AggregationTemporalityPreference.CUMULATIVE],
  ['DELTA', AggregationTemporalityPreference.DELTA],
] as const)('edge cases, Prometheus + OTLP %s on one provider', (_, preference) => {
  let fast: Run;
  let ref: Run;
  beforeAll(async () => {
    fast = await runEdge('fastmeter', preference);
    ref = await runEdge('sdk-metrics', preference);
  });

  it('OTLP: the requests equal those of sdk-metrics (after the first, except the known differences)', () => {
    expect(fast.otlp).toHaveLength(3);
    expect(ref.otlp).toHaveLength(3);
    expect(without(fast.otlp[0], ['obs.hist'])).toEqual(without(ref.otlp[0], ['obs.hist']));
    // The first collection of all: nothing has observed the gauge before, so even obs.hist agrees.
    expect(fast.otlp[0]).toEqual(ref.otlp[0]);
    for (const i of [1, 2]) expect(without(fast.otlp[i], ['limited', 'obs.hist'])).toEqual(without(ref.otlp[i], ['limited', 'obs.hist']));
  });

  it('Prometheus: the expositions equal those of sdk-metrics, except the known differences', () => {
    expect(blocks(fast.scrapes[0], ['obs_hist'])).toEqual(blocks(ref.scrapes[0], ['obs_hist']));
    const phase2 = ['obs_hist', 'limited_total', 'resetting_total'];
    expect(blocks(fast.scrapes[1], phase2)).toEqual(blocks(ref.scrapes[1], phase2));
  });

  it('reports the failing callback to both readers and the exponential histogram Prometheus cannot show, like sdk-metrics', () => {
    const errors = (run: Run) => run.diag.filter(m => m.startsWith('error:')).sort();
    expect(errors(fast)).toEqual(errors(ref));
    expect(errors(fast)).toContain('error: PrometheusExporter: metrics collection errors callback failure');
    expect(errors(fast)).toContain('error: PeriodicExportingMetricReader: metrics collection errors callback failure');
    expect(errors(fast)).toContain('error: Unrecognizable DataPointType: 1 for metric "updown_exp"');
  });

  it('cardinality limit: the stream keeps at most 3 series, later attribute sets go to the overflow series', () => {
    const prom = parseExposition(fast.scrapes[1]);
    expect(
      prom
        .get('limited_total')
        ?.samples.map(s => [s.labels.s ?? s.labels.otel_metric_overflow, s.value])
        .sort(),
    ).toEqual([
      ['a', 2],
      ['b', 1],
      ['true', 4],
    ]);
    const otlp = summarize(fast.otlp[1]).scopes[VIEWS_SCOPE.name].metrics.limited.points;
    const interval = preference === AggregationTemporalityPreference.DELTA;
    expect(Object.fromEntries(Object.entries(otlp).map(([k, p]) => [k, p.asDouble]))).toEqual(
      interval ? { 's=a': 1, 'otel.metric.overflow=true': 1 } : { 's=a': 2, 's=b': 1, 'otel.metric.overflow=true': 4 },
    );
  });

  it('a restarted observable counter starts a new cumulative sequence for every reader', () => {
    expect(sampleValue(parseExposition(fast.scrapes[1]), 'resetting_total', E)).toBe(4);
    const point = summarize(fast.otlp[1]).scopes[EDGE_SCOPE.name].metrics.resetting.points[''];
    // Delta: the new total since the restart; cumulative: the new total, starting at the restart.
    expect(point).toEqual({ startTimeUnixNano: ns(preference === AggregationTemporalityPreference.DELTA ? T2 : T4), timeUnixNano: ns(T4), asDouble: 4 });
  });
});

describe('edge cases, exact values (FastMeterProvider, Prometheus + OTLP cumulative)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runEdge('fastmeter', AggregationTemporalityPreference.CUMULATIVE);
  });

  it('INT instruments truncate fractional values and counters drop negative ones', () => {
    const edge = summarize(run.otlp[0]).scopes[EDGE_SCOPE.name].metrics;
    expect(edge['int.counter'].points).toEqual({
      '': { startTimeUnixNano: ns(T1), timeUnixNano: ns(T2), asInt: '1' },
      'k=v': { startTimeUnixNano: ns(T1), timeUnixNano: ns(T2), asInt: '2' },
    });
    expect(edge['int.gauge'].points['k=v'].asInt).toBe('2');
    const later = summarize(run.otlp[1]).scopes[EDGE_SCOPE.name].metrics;
    expect(later['int.counter'].points[''].asInt).toBe('4');
    expect(later['int.gauge'].points['k=v'].asInt).toBe('-3');
    expect(run.diag).toContain('warn: fastmeter: INT instrument "int.counter" got 1.7; the fractional digits are ignored');
  });

  it('attributes: one series whatever the key order (first order kept), every value kind, Prometheus escaping', () => {
    const points = summarize(run.otlp[0]).scopes[EDGE_SCOPE.name].metrics['attr.kinds'].points;
    expect(Object.keys(points).sort()).toEqual(
      ['b=1,a=2', 'flag=false', 'flag=true,ratio=1.5,list=[object Object],empty=,quote=say "hi"\\ now\nnext,dotted.key-x=v'].sort(),
    );
    expect(points['b=1,a=2'].asDouble).toBe(2);
    const raw = run.otlp[0].resourceMetrics[0].scopeMetrics
      .find((sm: Decoded) => sm.scope.name === EDGE_SCOPE.name)
      .metrics.find((m: Decoded) => m.name === 'attr.kinds')
      .sum.dataPoints.find((p: Decoded) => p.attributes.length === 6);
    expect(raw.attributes).toEqual([
      { key: 'flag', value: { boolValue: true } },
      { key: 'ratio', value: { doubleValue: 1.5 } },
      { key: 'list', value: { arrayValue: { values: [{ stringValue: 'x' }, { stringValue: 'y' }] } } },
      { key: 'empty', value: { stringValue: '' } },
      { key: 'quote', value: { stringValue: 'say "hi"\\ now\nnext' } },
      { key: 'dotted.key-x', value: { stringValue: 'v' } },
    ]);
    expect(run.scrapes[0]).toContain(
      `attr_kinds_total{flag="true",ratio="1.5",list="[\\"x\\",\\"y\\"]",empty="",quote="say \\"hi\\"\\\\ now\\nnext",dotted_key_x="v",otel_scope_name="edge",otel_scope_schema_url="https://example.com/schema"} 1\n`,
    );
    const prom = parseExposition(run.scrapes[0]);
    expect(
      sampleValue(prom, 'attr_kinds_total', {
        flag: 'true',
        ratio: '1.5',
        list: '["x","y"]',
        empty: '',
        quote: 'say "hi"\\ now\nnext',
        dotted_key_x: 'v',
        ...E,
      }),
    ).toBe(1);
    expect(sampleValue(prom, 'attr_kinds_total', { b: '1', a: '2', ...E })).toBe(2);
    expect(sampleValue(prom, 'attr_kinds_total', { flag: 'false', ...E })).toBe(1);
    expect(sampleValue(prom, 'dup_total', E)).toBe(3);
    expect(prom.get('odd_name_with_chars_total')).toMatchObject({ type: 'gauge', unit: 'm/s' });
  });

  it('views: rename, attribute processors, drop, aggregations, recordMinMax false, no sum for up-down counters', () => {
    const m = summarize(run.otlp[1]).scopes[VIEWS_SCOPE.name].metrics;
    expect(m['renamed.target']).toMatchObject({ description: 'Renamed by a view', type: 'sum', isMonotonic: true });
    expect(m['renamed.source']).toBeUndefined();
    expect(m.dropped).toBeUndefined();
    expect(Object.fromEntries(Object.entries(m['filtered.allow'].points).map(([k, p]) => [k, p.asDouble]))).toEqual({ 'keep=k': 11, '': 4 });
    expect(Object.keys(m['filtered.deny'].points)).toEqual(['route=/x']);
    expect(m['filtered.deny'].points['route=/x']).toMatchObject({ count: '2', sum: 55, bucketCounts: ['1', '1'], explicitBounds: [10] });
    expect(Object.fromEntries(Object.entries(m['filtered.custom'].points).map(([k, p]) => [k, p.asDouble]))).toEqual({
      'user=u,tier=gold': 2,
      'tier=gold': -5,
    });
    const noMinMax = m['no.minmax'].points[''];
    expect(noMinMax).toMatchObject({ count: '3', sum: 55.5, bucketCounts: ['1', '1', '1'], explicitBounds: [1, 10] });
    expect('min' in noMinMax || 'max' in noMinMax).toBe(false);
    expect(m['hist.as.sum']).toMatchObject({ type: 'sum', isMonotonic: true, points: { '': { asDouble: 5 } } });
    expect(m['counter.as.last']).toMatchObject({ type: 'gauge', points: { '': { asDouble: 6 } } });
    const updownHist = m['updown.hist'].points[''];
    expect(updownHist).toMatchObject({ count: '2', bucketCounts: ['1', '1'], min: -2, max: 3 });
    expect('sum' in updownHist).toBe(false);
    const updownExp = m['updown.exp'].points[''];
    expect(updownExp).toMatchObject({
      count: '6',
      scale: -1,
      zeroCount: '1',
      min: -8,
      max: 64,
      positive: { offset: -1, bucketCounts: ['1', '0', '1', '1'] },
      negative: { offset: -1, bucketCounts: ['1', '0', '1'] },
    });
    expect('sum' in updownExp).toBe(false);
    const prom = parseExposition(run.scrapes[1]);
    expect(prom.get('updown_hist')?.samples.map(s => s.name)).toEqual(['updown_hist_count', 'updown_hist_bucket', 'updown_hist_bucket']);
    // The exporter cannot show exponential histograms: HELP and TYPE untyped, no sample (and a diag error).
    expect(prom.get('updown_exp')).toEqual({ help: 'description missing', type: 'untyped', samples: [] });
    expect(sampleValue(prom, 'renamed_target_total', V)).toBe(3);
  });

  it('a failing callback costs only its own instrument', () => {
    const edge = summarize(run.otlp[0]).scopes[EDGE_SCOPE.name].metrics;
    expect(edge.throws).toBeUndefined();
    expect(edge.resetting.points[''].asDouble).toBe(10);
    expect(edge['batch.a'].points['x=1'].asDouble).toBe(-4);
    expect(edge['batch.b'].points[''].asDouble).toBe(0.5);
  });
});

// ---- regression: histogram views on observable instruments accumulated observations ----
//
// sdk-metrics treats each collection's observations as the whole state of an
// asynchronous series (DeltaMetricProcessor.batchCumulate builds a fresh one-sample
// accumulation per observation and diffs it against the previous one), so a
// histogram view on an ObservableGauge reports the current observations: count 1
// per series and collection. fastmeter used to add every observation as one more
// sample, so the count grew with every collection (1, 2, 3), and with several
// readers a Prometheus scrape changed what the OTLP reader exported (3, 6, 7).
// Fixed in MetricStream: the series holds the latest observation and readers
// take it instead of adding it.
describe('regression: histogram view on an observable gauge accumulated observations across collections and readers', () => {
  const VIEW = [EDGE_VIEWS[EDGE_VIEWS.length - 1]];

  function observedGauge(provider: FastMeterProvider | MeterProvider) {
    provider
      .getMeter(VIEWS_SCOPE.name, VIEWS_SCOPE.version)
      .createObservableGauge('obs.hist')
      .addCallback(r => r.observe(3));
  }

  async function counts(kind: Kind, scrapesBeforeEachFlush: number): Promise<string[]> {
    const { exporter: prometheus, url } = await startPrometheusExporter();
    const provider = newProvider(kind, [otlpReader(AggregationTemporalityPreference.CUMULATIVE), prometheus], VIEW);
    try {
      observedGauge(provider);
      for (let i = 0; i < 2; i++) {
        for (let s = 0; s < scrapesBeforeEachFlush; s++) await scrape(url);
        await withTimeout(provider.forceFlush(), 5000, 'forceFlush');
      }
    } finally {
      await withTimeout(provider.shutdown(), 5000, 'shutdown').catch(() => {});
      await withTimeout(prometheus.stopServer(), 5000, 'stopServer');
    }
    // the shutdown flush is the third request
    return sink.take().map(c => summarize(c.request).scopes[VIEWS_SCOPE.name].metrics['obs.hist'].points[''].count);
  }

  it('sdk-metrics: each collection reports the current observation (count 1), whatever the other reader does', async () => {
    expect(await counts('sdk-metrics', 0)).toEqual(['1', '1', '1']);
    expect(await counts('sdk-metrics', 2)).toEqual(['1', '1', '1']);
  });

  it('fastmeter: each collection reports the current observation (was: 1, 2, 3)', async () => {
    expect(await counts('fastmeter', 0)).toEqual(['1', '1', '1']);
  });

  it('fastmeter: Prometheus scrapes do not change what the OTLP reader exports (was: 3, 6, 7)', async () => {
    const alone = await counts('fastmeter', 0);
    expect(await counts('fastmeter', 2)).toEqual(alone);
  });
});
