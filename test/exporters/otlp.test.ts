// FastMeterProvider behind PeriodicExportingMetricReader and the real, unchanged
// OTLPMetricExporter, JSON (@opentelemetry/exporter-metrics-otlp-http) and
// protobuf (@opentelemetry/exporter-metrics-otlp-proto), both 0.223.0 with their
// own sdk-metrics 2.12.0. The requests go to a loopback receiver that decodes them
// with the official OTLP schema; the test checks the decoded content, then sends
// the same calls through sdk-metrics' MeterProvider and compares the requests.
//
// Date is faked (and only Date: sockets and timers stay real) so that every
// timestamp is known in advance and identical between the two SDKs.
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonExporter,
  type OTLPMetricExporterOptions,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Decoded, OtlpSink, sortedRequest, summarize } from './helpers/otlp.js';
import { EXPONENTIAL_VIEW, LATENCY_BOUNDS, OTHER_SCOPE, SCOPE, SERVICE_NAME, createScenario, testResource } from './helpers/scenario.js';
import { withTimeout } from './helpers/util.js';

type Transport = 'protobuf' | 'json';
type Kind = 'fastmeter' | 'sdk-metrics';

/** Instruments are created at T0, phase 1 runs at T1, exports at T2, phase 2 at T3, exports at T4, shutdown at T5. */
const T0 = Date.UTC(2024, 4, 6, 7, 8, 9, 123);
const T1 = T0 + 1000;
const T2 = T0 + 2000;
const T3 = T0 + 2500;
const T4 = T0 + 3000;
const T5 = T0 + 4000;
/** Milliseconds since the epoch as OTLP's fixed64 nanoseconds, decoded as a decimal string. */
const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);

const CUMULATIVE = 2; // AGGREGATION_TEMPORALITY_CUMULATIVE
const DELTA = 1; // AGGREGATION_TEMPORALITY_DELTA
const DEFAULT_BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
/** Counts as decoded (uint64 → decimal strings), one per listed index, '0' elsewhere. */
const counts = (length: number, ones: Record<number, number>) => Array.from({ length }, (_, i) => String(ones[i] ?? 0));

let sink: OtlpSink;

beforeAll(async () => {
  sink = await OtlpSink.start();
});
afterAll(async () => {
  await sink?.close();
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
  sink.take();
  sink.rejected.splice(0);
});

function exporterFor(transport: Transport, options: OTLPMetricExporterOptions) {
  return transport === 'json' ? new JsonExporter(options) : new ProtoExporter(options);
}

/**
 * Runs the scenario under a fake clock through `kind`'s MeterProvider, a
 * PeriodicExportingMetricReader (interval far away: exports happen only on
 * forceFlush and shutdown) and the real OTLP exporter; returns the decoded requests.
 */
async function run(kind: Kind, transport: Transport, temporalityPreference: AggregationTemporalityPreference): Promise<Decoded[]> {
  vi.setSystemTime(T0);
  const exporter = exporterFor(transport, { url: sink.url, temporalityPreference, timeoutMillis: 5000 });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600_000, exportTimeoutMillis: 5000 });
  const options = { resource: testResource(), views: [EXPONENTIAL_VIEW], readers: [reader] };
  const provider = kind === 'fastmeter' ? new FastMeterProvider(options) : new MeterProvider(options);
  try {
    const scenario = createScenario(provider);
    vi.setSystemTime(T1);
    scenario.phase1();
    vi.setSystemTime(T2);
    await withTimeout(provider.forceFlush(), 5000, `${kind} forceFlush 1`);
    vi.setSystemTime(T3);
    scenario.phase2();
    vi.setSystemTime(T4);
    await withTimeout(provider.forceFlush(), 5000, `${kind} forceFlush 2`);
  } finally {
    vi.setSystemTime(T5);
    await withTimeout(provider.shutdown(), 5000, `${kind} shutdown`);
  }
  expect(sink.rejected).toEqual([]);
  const captured = sink.take();
  expect(captured.map(c => c.contentType)).toEqual(captured.map(() => (transport === 'json' ? 'application/json' : 'application/x-protobuf')));
  return captured.map(c => c.request);
}

const GET = 'method=GET,route=/a,status=200';
const POST = 'method=POST,route=/a,status=201';
const DELETE = 'method=DELETE,route=/b,status=404';

describe.each<Transport>(['protobuf', 'json'])('OTLP/HTTP %s exporter fed by FastMeterProvider', transport => {
  it('sends the resource, the scopes and every metric with exact values (cumulative)', async () => {
    const requests = await run('fastmeter', transport, AggregationTemporalityPreference.CUMULATIVE);
    // forceFlush, forceFlush, and the flush of shutdown
    expect(requests).toHaveLength(3);
    const first = summarize(requests[0]);

    const attributes = [...first.resource.attributes].sort((a: Decoded, b: Decoded) => a.key.localeCompare(b.key));
    const sdkVersion = String(testResource().attributes['telemetry.sdk.version']);
    expect(attributes).toEqual([
      { key: 'host.cpus', value: { intValue: '2' } },
      { key: 'service.instance.id', value: { stringValue: 'i-1' } },
      { key: 'service.name', value: { stringValue: SERVICE_NAME } },
      { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
      { key: 'telemetry.sdk.name', value: { stringValue: 'opentelemetry' } },
      { key: 'telemetry.sdk.version', value: { stringValue: sdkVersion } },
    ]);

    expect(Object.keys(first.scopes).sort()).toEqual([OTHER_SCOPE.name, SCOPE.name].sort());
    const main = first.scopes[SCOPE.name];
    expect(main.scope).toEqual({ name: SCOPE.name, version: SCOPE.version });
    expect(main.schemaUrl).toBe(SCOPE.schemaUrl);
    expect(first.scopes[OTHER_SCOPE.name].scope).toEqual({ name: OTHER_SCOPE.name });
    expect(first.scopes[OTHER_SCOPE.name].schemaUrl).toBeUndefined();

    const sync = { startTimeUnixNano: ns(T1), timeUnixNano: ns(T2) };
    // Observable series start at the collection that first observed them, as in sdk-metrics.
    const observed = { startTimeUnixNano: ns(T2), timeUnixNano: ns(T2) };
    expect(main.metrics).toEqual({
      'http.requests': {
        description: 'Handled HTTP requests',
        unit: '{request}',
        type: 'sum',
        aggregationTemporality: CUMULATIVE,
        isMonotonic: true,
        points: { [GET]: { ...sync, asInt: '3' }, [POST]: { ...sync, asInt: '2' }, '': { ...sync, asInt: '1' } },
      },
      'bytes.sent': {
        description: 'Bytes sent',
        unit: 'By',
        type: 'sum',
        aggregationTemporality: CUMULATIVE,
        isMonotonic: true,
        points: { '': { ...sync, asDouble: 1.75 } },
      },
      'queue.depth': {
        description: 'Items waiting',
        unit: '',
        type: 'sum',
        aggregationTemporality: CUMULATIVE,
        isMonotonic: false,
        points: { 'queue=q1': { ...sync, asInt: '3' }, 'queue=q2': { ...sync, asInt: '-3' } },
      },
      'cpu.temperature': {
        description: 'Core temperature',
        unit: 'Cel',
        type: 'gauge',
        points: { 'core=0': { ...sync, asDouble: 42.25 }, 'core=1': { ...sync, asDouble: 38 } },
      },
      'http.server.duration': {
        description: 'Request duration',
        unit: 'ms',
        type: 'histogram',
        aggregationTemporality: CUMULATIVE,
        points: {
          'route=/a': { ...sync, count: '5', sum: 142, min: 3, max: 120, bucketCounts: counts(16, { 1: 2, 2: 2, 7: 1 }), explicitBounds: DEFAULT_BOUNDS },
          'route=/b': { ...sync, count: '1', sum: 12000, min: 12000, max: 12000, bucketCounts: counts(16, { 15: 1 }), explicitBounds: DEFAULT_BOUNDS },
        },
      },
      'rpc.latency': {
        description: 'RPC latency',
        unit: 's',
        type: 'histogram',
        aggregationTemporality: CUMULATIVE,
        points: { '': { ...sync, count: '4', sum: 2.75, min: 0.125, max: 2, bucketCounts: ['2', '1', '0', '1'], explicitBounds: LATENCY_BOUNDS } },
      },
      // 0, 1, 2, 4, 1024 at scale 3 (base 2^(1/8)): 1 → index -1, 2 → 7, 4 → 15, 1024 → 79; 81 buckets fit maxSize 160, 161 would not.
      'payload.size': {
        description: 'Payload size',
        unit: 'By',
        type: 'exponentialHistogram',
        aggregationTemporality: CUMULATIVE,
        points: {
          '': {
            ...sync,
            count: '5',
            sum: 1031,
            min: 0,
            max: 1024,
            scale: 3,
            zeroCount: '1',
            positive: { offset: -1, bucketCounts: counts(81, { 0: 1, 8: 1, 16: 1, 80: 1 }) },
            negative: {},
          },
        },
      },
      'process.cpu.time': {
        description: 'CPU time',
        unit: 's',
        type: 'sum',
        aggregationTemporality: CUMULATIVE,
        isMonotonic: true,
        points: { 'state=user': { ...observed, asDouble: 12.5 }, 'state=system': { ...observed, asDouble: 3 } },
      },
      'connections.open': {
        description: 'Open connections',
        unit: '',
        type: 'sum',
        aggregationTemporality: CUMULATIVE,
        isMonotonic: false,
        points: { '': { ...observed, asInt: '7' } },
      },
      'memory.heap': {
        description: 'Heap in use',
        unit: 'By',
        type: 'gauge',
        points: { 'pool=heap': { ...observed, asInt: '1024' } },
      },
    });
    expect(first.scopes[OTHER_SCOPE.name].metrics).toEqual({
      'jobs.done': {
        description: '',
        unit: '',
        type: 'sum',
        aggregationTemporality: CUMULATIVE,
        isMonotonic: true,
        points: { '': { ...sync, asInt: '4' } },
      },
    });
    // Attribute values keep their types: strings as stringValue, integers as intValue.
    const getPoint = requests[0].resourceMetrics[0].scopeMetrics
      .find((sm: Decoded) => sm.scope.name === SCOPE.name)
      .metrics.find((m: Decoded) => m.name === 'http.requests')
      .sum.dataPoints.find((p: Decoded) => p.asInt === '3');
    expect(getPoint.attributes).toEqual([
      { key: 'method', value: { stringValue: 'GET' } },
      { key: 'route', value: { stringValue: '/a' } },
      { key: 'status', value: { intValue: '200' } },
    ]);

    // Second export: cumulative totals, start times unchanged, a new series starting at its first measurement.
    const second = summarize(requests[1]).scopes[SCOPE.name].metrics;
    const later = { startTimeUnixNano: ns(T1), timeUnixNano: ns(T4) };
    expect(second['http.requests'].points).toEqual({
      [GET]: { ...later, asInt: '4' },
      [POST]: { ...later, asInt: '2' },
      '': { ...later, asInt: '1' },
      [DELETE]: { startTimeUnixNano: ns(T3), timeUnixNano: ns(T4), asInt: '1' },
    });
    expect(second['bytes.sent'].points).toEqual({ '': { ...later, asDouble: 2 } });
    expect(second['queue.depth'].points).toEqual({ 'queue=q1': { ...later, asInt: '3' }, 'queue=q2': { ...later, asInt: '-2' } });
    expect(second['cpu.temperature'].points).toEqual({ 'core=0': { ...later, asDouble: 42.25 }, 'core=1': { ...later, asDouble: 39 } });
    expect(second['http.server.duration'].points['route=/b']).toEqual({
      ...later,
      count: '2',
      sum: 12030,
      min: 30,
      max: 12000,
      bucketCounts: counts(16, { 4: 1, 15: 1 }),
      explicitBounds: DEFAULT_BOUNDS,
    });
    expect(second['rpc.latency'].points[''].count).toBe('4');
    expect(second['process.cpu.time'].points).toEqual({
      'state=user': { startTimeUnixNano: ns(T2), timeUnixNano: ns(T4), asDouble: 20 },
      'state=system': { startTimeUnixNano: ns(T2), timeUnixNano: ns(T4), asDouble: 3 },
    });
    expect(second['connections.open'].points).toEqual({ '': { startTimeUnixNano: ns(T2), timeUnixNano: ns(T4), asInt: '4' } });
    expect(second['memory.heap'].points['pool=heap'].asInt).toBe('2048');

    // The shutdown flush repeats the totals at T5.
    expect(summarize(requests[2]).scopes[SCOPE.name].metrics['http.requests'].points[GET]).toEqual({
      startTimeUnixNano: ns(T1),
      timeUnixNano: ns(T5),
      asInt: '4',
    });
  });

  it('with temporalityPreference DELTA sends interval values and interval start times', async () => {
    const requests = await run('fastmeter', transport, AggregationTemporalityPreference.DELTA);
    const first = summarize(requests[0]).scopes[SCOPE.name].metrics;
    const sync = { startTimeUnixNano: ns(T1), timeUnixNano: ns(T2) };
    // Counters, histograms and gauges are delta; up-down counters stay cumulative (the exporter's DeltaTemporalitySelector).
    expect(first['http.requests']).toMatchObject({ aggregationTemporality: DELTA, isMonotonic: true });
    expect(first['http.requests'].points).toEqual({ [GET]: { ...sync, asInt: '3' }, [POST]: { ...sync, asInt: '2' }, '': { ...sync, asInt: '1' } });
    expect(first['queue.depth'].aggregationTemporality).toBe(CUMULATIVE);
    expect(first['http.server.duration'].aggregationTemporality).toBe(DELTA);
    expect(first['payload.size'].aggregationTemporality).toBe(DELTA);
    expect(first['process.cpu.time'].aggregationTemporality).toBe(DELTA);
    expect(first['connections.open'].aggregationTemporality).toBe(CUMULATIVE);

    const second = summarize(requests[1]);
    const interval = { startTimeUnixNano: ns(T2), timeUnixNano: ns(T4) };
    const metrics = second.scopes[SCOPE.name].metrics;
    // Only what changed since T2; a series reported at T2 starts at T2, a new one at its first measurement.
    expect(metrics['http.requests'].points).toEqual({
      [GET]: { ...interval, asInt: '1' },
      [DELETE]: { startTimeUnixNano: ns(T3), timeUnixNano: ns(T4), asInt: '1' },
    });
    expect(metrics['bytes.sent'].points).toEqual({ '': { ...interval, asDouble: 0.25 } });
    expect(metrics['queue.depth']).toMatchObject({
      aggregationTemporality: CUMULATIVE,
      points: {
        'queue=q1': { startTimeUnixNano: ns(T1), timeUnixNano: ns(T4), asInt: '3' },
        'queue=q2': { startTimeUnixNano: ns(T1), timeUnixNano: ns(T4), asInt: '-2' },
      },
    });
    expect(metrics['cpu.temperature'].points).toEqual({ 'core=1': { ...interval, asDouble: 39 } });
    expect(metrics['http.server.duration'].points).toEqual({
      'route=/b': { ...interval, count: '1', sum: 30, min: 30, max: 30, bucketCounts: counts(16, { 4: 1 }), explicitBounds: DEFAULT_BOUNDS },
    });
    // Observable counters report the change of the observed total: 12.5 → 20 and 3 → 3.
    expect(metrics['process.cpu.time'].points).toEqual({ 'state=user': { ...interval, asDouble: 7.5 }, 'state=system': { ...interval, asDouble: 0 } });
    expect(metrics['connections.open'].points).toEqual({ '': { ...interval, asInt: '4' } });
    expect(metrics['memory.heap'].points).toEqual({ 'pool=heap': { ...interval, asInt: '2048' } });
    // Nothing recorded in the interval: no metric, and a scope without metrics is left out.
    expect(metrics['rpc.latency']).toBeUndefined();
    expect(metrics['payload.size']).toBeUndefined();
    expect(second.scopes[OTHER_SCOPE.name]).toBeUndefined();
  });

  it.each([
    ['CUMULATIVE', AggregationTemporalityPreference.CUMULATIVE],
    ['DELTA', AggregationTemporalityPreference.DELTA],
    ['LOWMEMORY', AggregationTemporalityPreference.LOWMEMORY],
  ] as const)('sends what sdk-metrics MeterProvider sends for the same calls (%s)', async (_, preference) => {
    const fast = await run('fastmeter', transport, preference);
    const ref = await run('sdk-metrics', transport, preference);
    expect(fast).toHaveLength(ref.length);
    // Timestamps are identical (fake Date). Only the order of scopes (sdk-metrics lists them in the
    // order their collections settle) and of data points within a metric is normalised.
    expect(fast.map(sortedRequest)).toEqual(ref.map(sortedRequest));
  });
});

describe('OTLP/HTTP exporters, both encodings', () => {
  it('protobuf and JSON requests decode to the same content', async () => {
    const proto = await run('fastmeter', 'protobuf', AggregationTemporalityPreference.CUMULATIVE);
    const json = await run('fastmeter', 'json', AggregationTemporalityPreference.CUMULATIVE);
    expect(json).toEqual(proto);
  });

  it('the receiver rejects what the OTLP schema does not accept, so the checks above are not vacuous', async () => {
    const post = (contentType: string, body: string | Uint8Array) =>
      fetch(sink.url, { method: 'POST', headers: { 'content-type': contentType }, body, signal: AbortSignal.timeout(5000) });
    const garbage = await post('application/x-protobuf', new Uint8Array([0x0a, 0x05, 0xff, 0xff, 0xff]));
    const misspelt = await post('application/json', JSON.stringify({ resourceMetrics: [{ scopeMetric: [] }] }));
    const wrongType = await post('application/json', JSON.stringify({ resourceMetrics: 'x' }));
    await Promise.all([garbage.text(), misspelt.text(), wrongType.text()]);
    expect([garbage.status, misspelt.status, wrongType.status]).toEqual([400, 400, 400]);
    expect(sink.rejected).toHaveLength(3);
    expect(sink.rejected[1]).toContain('resourceMetrics.0.scopeMetric');
    expect(sink.received).toEqual([]);
  });
});
