// The requests of the real OTLPMetricExporter, fed by FastMeterProvider through
// PeriodicExportingMetricReader, decoded by third-party decoders against the
// official OTLP schema (helpers/otlp.ts): protobuf
// (@opentelemetry/exporter-metrics-otlp-proto) with `protoc --decode`, JSON
// (@opentelemetry/exporter-metrics-otlp-http) with python-protobuf's strict
// `json_format.Parse`. The decoded values must be what the test recorded; and
// what is recorded just before `provider.shutdown()` must arrive, with no flush.
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OtlpDecoders, OtlpReceiver, type Point, type Summary, histogramPoint, summarize } from './helpers/otlp.js';
import { missing, needPeers, peers } from './helpers/peers.js';
import { int64, message, messages, nums, scalar, unknownFields } from './helpers/textformat.js';

type Transport = 'protobuf' | 'json';
const p = peers();
const SCOPE = { name: 'e2e.otlp', version: '1.2.3' };
const CUMULATIVE = 'AGGREGATION_TEMPORALITY_CUMULATIVE';
const DELTA = 'AGGREGATION_TEMPORALITY_DELTA';

let receiver: OtlpReceiver | undefined;
let decoders: OtlpDecoders | undefined;
/** Providers a test created and did not shut down (a failed assertion): shut down after it. */
const open: FastMeterProvider[] = [];

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  if (missing(p.protoc).length === 0) decoders = await OtlpDecoders.create(p.protoc.path!, p.pythonProtobuf.path);
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.shutdown().catch(() => {});
  receiver?.take();
});
afterAll(async () => {
  await receiver?.close();
  await decoders?.close();
});

/** The peers a transport's decoder needs. */
const decoderPeers = (transport: Transport) => (transport === 'protobuf' ? [p.protoc] : [p.protoc, p.pythonProtobuf]);

function setup(transport: Transport, temporalityPreference = AggregationTemporalityPreference.CUMULATIVE) {
  const options = { url: receiver!.url, temporalityPreference, timeoutMillis: 5000 };
  const exporter = transport === 'protobuf' ? new ProtoExporter(options) : new JsonExporter(options);
  // A long interval: the only exports are the ones the test causes (forceFlush, shutdown).
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600_000, exportTimeoutMillis: 5000 });
  const provider = new FastMeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'fastmeter-e2e', 'e2e.transport': transport }),
    views: [{ instrumentName: 'e2e.latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    readers: [reader],
  });
  open.push(provider);
  return provider;
}

/** Which AnyValue field carries each attribute of a point: `{ status: 'int_value' }`. */
function valueKinds(point: Point): Record<string, string> {
  return Object.fromEntries(messages(point.raw, 'attributes').map(kv => [scalar(kv, 'key'), Object.keys(message(kv, 'value'))[0]]));
}

/** Shuts a provider down (once: a second call would only warn). */
async function shutdown(provider: FastMeterProvider): Promise<void> {
  open.splice(open.indexOf(provider), 1);
  await provider.shutdown();
}

async function decodeAll(transport: Transport): Promise<Summary[]> {
  const captured = receiver!.take();
  const want = transport === 'protobuf' ? 'application/x-protobuf' : 'application/json';
  expect(captured.map(c => c.contentType)).toEqual(captured.map(() => want));
  return Promise.all(captured.map(async c => summarize(await decoders!.decode(c))));
}

/** Every instrument kind, with attribute values of every type; deterministic values. */
function instruments(provider: FastMeterProvider) {
  const meter = provider.getMeter(SCOPE.name, SCOPE.version);
  const observed = { queue: 7, cpu: 1.5, connections: -2 };
  meter.createObservableGauge('e2e.queue.size', { valueType: ValueType.INT }).addCallback(r => r.observe(observed.queue, { queue: 'q1' }));
  meter.createObservableCounter('e2e.cpu.time', { unit: 's' }).addCallback(r => r.observe(observed.cpu));
  meter.createObservableUpDownCounter('e2e.connections').addCallback(r => r.observe(observed.connections, { pool: 'db' }));
  return {
    observed,
    requests: meter.createCounter('e2e.requests', { description: 'Requests handled.', unit: '{request}', valueType: ValueType.INT }),
    bytes: meter.createCounter('e2e.bytes', { unit: 'By' }),
    inflight: meter.createUpDownCounter('e2e.inflight', { valueType: ValueType.INT }),
    temperature: meter.createGauge('e2e.temperature', { unit: 'Cel' }),
    latency: meter.createHistogram('e2e.latency', { unit: 'ms', advice: { explicitBucketBoundaries: [1, 10, 100] } }),
    latencyExp: meter.createHistogram('e2e.latency.exp', { unit: 'ms' }),
  };
}

/** The first batch of measurements. */
function phase1(i: ReturnType<typeof instruments>) {
  i.requests.add(3, { route: '/a', status: 200 });
  i.requests.add(2, { route: '/a', status: 200 });
  i.requests.add(4, { route: '/b', status: 500, retry: true });
  i.requests.add(1);
  i.requests.add(1, { city: 'Zürich "Q"\\\n', empty: '' });
  i.bytes.add(0.5, { dir: 'in' });
  i.bytes.add(0.25, { dir: 'in' });
  i.bytes.add(0.001, { dir: 'out', ratio: 0.5, tags: ['x', 'y'] });
  i.inflight.add(5, { pool: 'p1' });
  i.inflight.add(-7, { pool: 'p1' });
  i.inflight.add(2, { pool: 'p2' });
  i.temperature.record(42.5, { room: 'a' });
  i.temperature.record(17.25, { room: 'a' });
  i.temperature.record(-3, { room: 'b' });
  for (const v of [0.5, 5, 5, 50, 500]) i.latency.record(v, { route: '/a' });
  i.latency.record(10, { route: '/b' }); // on a bound: counted in (1, 10]
  for (const v of [1, 2, 4]) i.latencyExp.record(v);
}

describe.each(['protobuf', 'json'] as const)('OTLP %s from the real exporter', transport => {
  const decoder = transport === 'protobuf' ? 'protoc --decode' : 'python-protobuf json_format.Parse';

  it(`decodes with ${decoder} against the official OTLP schema, and carries every value recorded`, async ctx => {
    needPeers(ctx, ...decoderPeers(transport));
    const provider = setup(transport);
    const i = instruments(provider);
    const before = BigInt(Date.now()) * 1_000_000n;
    phase1(i);
    await provider.forceFlush();
    const after = BigInt(Date.now()) * 1_000_000n;
    const [request, ...more] = await decodeAll(transport);
    expect(more).toEqual([]);

    // Every field sent is one the official schema knows (protoc would print others by number).
    expect(unknownFields(request.request)).toEqual([]);
    expect(request.resource).toMatchObject({ 'service.name': 'fastmeter-e2e', 'e2e.transport': transport });
    const m = request.metrics;
    expect(Object.keys(m).sort()).toEqual([
      'e2e.bytes',
      'e2e.connections',
      'e2e.cpu.time',
      'e2e.inflight',
      'e2e.latency',
      'e2e.latency.exp',
      'e2e.queue.size',
      'e2e.requests',
      'e2e.temperature',
    ]);
    for (const metric of Object.values(m)) {
      expect(metric.scope).toEqual(SCOPE);
      for (const point of Object.values(metric.points)) {
        // fixed64 nanoseconds: decoded exactly, and within the test's wall-clock window.
        expect(point.timeNs >= before && point.timeNs <= after, `${metric.name} time ${point.timeNs}`).toBe(true);
        if (metric.kind !== 'gauge') expect(point.startNs > 0n && point.startNs <= point.timeNs, `${metric.name} start`).toBe(true);
      }
    }

    // Monotonic INT counter: as_int, attribute values of their own types.
    expect(m['e2e.requests']).toMatchObject({ kind: 'sum', temporality: CUMULATIVE, monotonic: true, description: 'Requests handled.', unit: '{request}' });
    const requests = m['e2e.requests'].points;
    expect(Object.fromEntries(Object.entries(requests).map(([k, pt]) => [k, [pt.valueField, pt.value]]))).toEqual({
      'route="/a",status=200': ['as_int', 5],
      'retry=true,route="/b",status=500': ['as_int', 4],
      '': ['as_int', 1],
      'city="Zürich \\"Q\\"\\\\\\n",empty=""': ['as_int', 1],
    });
    expect(valueKinds(requests['retry=true,route="/b",status=500'])).toEqual({ retry: 'bool_value', route: 'string_value', status: 'int_value' });
    expect(valueKinds(requests['city="Zürich \\"Q\\"\\\\\\n",empty=""'])).toEqual({ city: 'string_value', empty: 'string_value' });

    // DOUBLE counter: as_double; double and array attribute values.
    expect(m['e2e.bytes']).toMatchObject({ kind: 'sum', temporality: CUMULATIVE, monotonic: true, unit: 'By' });
    expect(m['e2e.bytes'].points['dir="in"']).toMatchObject({ valueField: 'as_double', value: 0.75 });
    expect(m['e2e.bytes'].points['dir="out",ratio=0.5,tags=["x","y"]']).toMatchObject({ valueField: 'as_double', value: 0.001 });

    // Up-down counter: a non-monotonic sum that may be negative.
    expect(m['e2e.inflight']).toMatchObject({ kind: 'sum', temporality: CUMULATIVE, monotonic: false });
    expect(m['e2e.inflight'].points['pool="p1"']).toMatchObject({ valueField: 'as_int', value: -2 });
    expect(m['e2e.inflight'].points['pool="p2"']).toMatchObject({ valueField: 'as_int', value: 2 });

    // Synchronous gauge: the last value per series.
    expect(m['e2e.temperature']).toMatchObject({ kind: 'gauge', unit: 'Cel' });
    expect(m['e2e.temperature'].points['room="a"']).toMatchObject({ valueField: 'as_double', value: 17.25 });
    expect(m['e2e.temperature'].points['room="b"']).toMatchObject({ valueField: 'as_double', value: -3 });

    // Observable instruments, observed at collection.
    expect(m['e2e.queue.size']).toMatchObject({ kind: 'gauge' });
    expect(m['e2e.queue.size'].points['queue="q1"']).toMatchObject({ valueField: 'as_int', value: 7 });
    expect(m['e2e.cpu.time']).toMatchObject({ kind: 'sum', monotonic: true, temporality: CUMULATIVE, unit: 's' });
    expect(m['e2e.cpu.time'].points['']).toMatchObject({ valueField: 'as_double', value: 1.5 });
    expect(m['e2e.connections']).toMatchObject({ kind: 'sum', monotonic: false });
    expect(m['e2e.connections'].points['pool="db"']).toMatchObject({ valueField: 'as_double', value: -2 });

    // Explicit-bucket histogram: bounds from the advice, counts per bucket, min/max/sum.
    expect(m['e2e.latency']).toMatchObject({ kind: 'histogram', temporality: CUMULATIVE, unit: 'ms' });
    expect(histogramPoint(m['e2e.latency'].points['route="/a"'])).toEqual({
      count: 5,
      sum: 560.5,
      min: 0.5,
      max: 500,
      bucketCounts: [1, 2, 1, 1],
      explicitBounds: [1, 10, 100],
    });
    expect(histogramPoint(m['e2e.latency'].points['route="/b"'])).toEqual({
      count: 1,
      sum: 10,
      min: 10,
      max: 10,
      bucketCounts: [0, 1, 0, 0],
      explicitBounds: [1, 10, 100],
    });

    // Base-2 exponential histogram (a view): 1, 2 and 4 are exact powers of two,
    // so at any scale each falls in its own bucket of the positive range.
    expect(m['e2e.latency.exp']).toMatchObject({ kind: 'exponential_histogram', temporality: CUMULATIVE });
    const exp = m['e2e.latency.exp'].points[''].raw;
    expect(Number(int64(exp, 'count'))).toBe(3);
    expect(nums(exp, 'sum')).toEqual([7]);
    expect(nums(exp, 'min')).toEqual([1]);
    expect(nums(exp, 'max')).toEqual([4]);
    expect(Number(int64(exp, 'zero_count'))).toBe(0);
    const positive = message(exp, 'positive');
    const counts = nums(positive, 'bucket_counts');
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(counts.filter(c => c > 0)).toEqual([1, 1, 1]);
    expect(exp.negative === undefined || nums(message(exp, 'negative'), 'bucket_counts').every(c => c === 0)).toBe(true);
    const scale = Number(scalar(exp, 'scale') ?? 0);
    // Bucket index of v is ceil(log2(v) * 2^scale) - 1: check the offset places 1, 2 and 4 where they belong.
    const offset = Number(scalar(positive, 'offset') ?? 0);
    const indexOf = (v: number) => Math.ceil(Math.log2(v) * 2 ** scale) - 1;
    for (const v of [1, 2, 4]) expect(counts[indexOf(v) - offset], `bucket of ${v} at scale ${scale}`).toBe(1);
  });

  it(`delivers what was recorded just before provider.shutdown(), without any flush (${transport})`, async ctx => {
    needPeers(ctx, ...decoderPeers(transport));
    const provider = setup(transport);
    const i = instruments(provider);
    phase1(i);
    i.requests.add(10, { route: '/last' });
    i.latency.record(0.1, { route: '/last' });
    i.observed.queue = 99;
    await shutdown(provider);
    // shutdown() resolves after the export completed: the request is already here.
    const [request, ...more] = await decodeAll(transport);
    expect(more).toEqual([]);
    const m = request.metrics;
    expect(m['e2e.requests'].points['route="/last"']).toMatchObject({ value: 10 });
    expect(m['e2e.requests'].points['route="/a",status=200']).toMatchObject({ value: 5 });
    expect(histogramPoint(m['e2e.latency'].points['route="/last"'])).toMatchObject({ count: 1, sum: 0.1, bucketCounts: [1, 0, 0, 0] });
    expect(m['e2e.queue.size'].points['queue="q1"']).toMatchObject({ value: 99 });
    expect(Object.keys(m)).toHaveLength(9);
  });

  it(`loses nothing recorded between the last export and shutdown, with delta temporality (${transport})`, async ctx => {
    needPeers(ctx, ...decoderPeers(transport));
    const provider = setup(transport, AggregationTemporalityPreference.DELTA);
    const i = instruments(provider);
    phase1(i);
    await provider.forceFlush();
    i.requests.add(6, { route: '/a', status: 200 });
    i.bytes.add(2, { dir: 'in' });
    i.latency.record(50, { route: '/a' });
    i.inflight.add(1, { pool: 'p1' });
    await shutdown(provider);
    const [first, second, ...more] = await decodeAll(transport);
    expect(more).toEqual([]);
    expect(first.metrics['e2e.requests']).toMatchObject({ temporality: DELTA });
    expect(first.metrics['e2e.requests'].points['route="/a",status=200']).toMatchObject({ value: 5 });
    // The second (shutdown) export carries exactly what came after the first one.
    const m = second.metrics;
    expect(m['e2e.requests']).toMatchObject({ temporality: DELTA });
    expect(Object.fromEntries(Object.entries(m['e2e.requests'].points).map(([k, pt]) => [k, pt.value]))).toEqual({ 'route="/a",status=200': 6 });
    expect(m['e2e.bytes'].points['dir="in"']).toMatchObject({ value: 2 });
    expect(Object.keys(m['e2e.latency'].points)).toEqual(['route="/a"']);
    expect(histogramPoint(m['e2e.latency'].points['route="/a"'])).toMatchObject({ count: 1, sum: 50, bucketCounts: [0, 0, 1, 0] });
    // Up-down counters stay cumulative under the delta preference (sdk-metrics' DeltaTemporalitySelector).
    expect(m['e2e.inflight']).toMatchObject({ temporality: CUMULATIVE });
    expect(m['e2e.inflight'].points['pool="p1"']).toMatchObject({ value: -1 });
    // Delta points start where the previous interval ended.
    expect(m['e2e.requests'].points['route="/a",status=200'].startNs).toBe(first.metrics['e2e.requests'].points['route="/a",status=200'].timeNs);
  });
});

describe('the OTLP decoders are strict (so that a pass means something)', () => {
  it('protoc rejects a body that is not an ExportMetricsServiceRequest, and prints fields the schema lacks by number', async ctx => {
    needPeers(ctx, p.protoc);
    await expect(decoders!.decodeProtobuf(Buffer.from([0x0a, 0xff, 0xff, 0x07]))).rejects.toThrow(/protoc --decode failed/);
    // resource_metrics { schema_url: "x" } plus an unknown field 99 (varint 1).
    const decoded = await decoders!.decodeProtobuf(Buffer.from([0x0a, 0x03, 0x1a, 0x01, 0x78, 0x98, 0x06, 0x01]));
    expect(unknownFields(decoded)).toEqual(['99']);
  });

  it('json_format.Parse rejects unknown fields and wrongly typed values', async ctx => {
    needPeers(ctx, p.protoc, p.pythonProtobuf);
    await expect(decoders!.decodeJson('{"resourceMetrics":[{"scopeMetric":[]}]}')).rejects.toThrow(/scopeMetric/);
    await expect(
      decoders!.decodeJson('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"dataPoints":[{"asInt":"abc"}]}}]}]}]}'),
    ).rejects.toThrow(/asInt|abc/);
    const ok = await decoders!.decodeJson('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"dataPoints":[{"asInt":"3"}]}}]}]}]}');
    expect(summarize(ok).metrics.x.points['']).toMatchObject({ valueField: 'as_int', value: 3 });
  });
});
