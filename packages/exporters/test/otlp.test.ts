// FastOTLPMetricExporter over HTTP next to the standard OTLPMetricExporter
// (protobuf: exporter-metrics-otlp-proto; JSON: exporter-metrics-otlp-http),
// both on one FastMeterProvider at the same (fake) time, sending to a loopback
// receiver: same path, Content-Type and headers; the bodies decode to the same
// message with the official schema (and are byte-identical).
import { once } from 'node:events';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { AggregationTemporality, InMemoryMetricExporter, MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AggregationTemporalityPreference, FastOTLPMetricExporter, FastPeriodicExportingMetricReader } from '../src/otlp.js';
import { Slicer, columnsOf } from '../src/internal.js';
import { decodeProtobuf } from './helpers/schema.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

class Receiver {
  readonly received: Received[] = [];
  /** Status codes to answer the next requests with (then 200). */
  readonly failures: number[] = [];
  private constructor(
    private readonly _server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const status = receiver.failures.shift();
        if (status !== undefined) {
          res.statusCode = status;
          res.setHeader('retry-after', '0');
          res.end();
          return;
        }
        receiver.received.push({ path: req.url ?? '', headers: req.headers, body });
        res.setHeader('content-type', req.headers['content-type'] ?? 'application/json');
        res.end(req.headers['content-type'] === 'application/json' ? '{}' : Buffer.alloc(0));
      });
    });
    return receiver;
  }

  close(): Promise<void> {
    return new Promise(resolve => this._server.close(() => resolve()));
  }
}

let receiver: Receiver;
beforeAll(async () => {
  receiver = await Receiver.start();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_700_000_000_123);
});
afterAll(async () => {
  vi.useRealTimers();
  await receiver.close();
});
afterEach(() => {
  receiver.received.length = 0;
  receiver.failures.length = 0;
});

const RESOURCE = resourceFromAttributes({ 'service.name': 'otlp-test', 'deployment.environment.name': 'ci' });

function record(provider: FastMeterProvider): void {
  const meter = provider.getMeter('otlp', '2.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  meter.createCounter('requests', { unit: '{request}', description: 'handled' }).add(5, { route: '/a', code: 200, ok: true });
  meter.createUpDownCounter('queue').add(-2, { q: ['x', 'y'] });
  meter.createHistogram('latency', { unit: 's' }).record(0.25, { route: '/a' });
  meter.createGauge('temp').record(21.5);
  meter.createObservableGauge('cpu').addCallback(r => r.observe(0.5, { core: 1 }));
}

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  describe(`${protocol}, next to the standard exporter`, () => {
    for (const temporality of ['cumulative', 'delta'] as const) {
      it(`sends the same request (${temporality})`, async () => {
        const preference = temporality === 'delta' ? AggregationTemporalityPreference.DELTA : AggregationTemporalityPreference.CUMULATIVE;
        const options = { url: receiver.url, headers: { 'x-tenant': 't1' }, temporalityPreference: preference };
        const fast = new FastPeriodicExportingMetricReader({ exporter: new FastOTLPMetricExporter({ ...options, protocol }), exportIntervalMillis: 60_000 });
        const Standard = protocol === 'http/json' ? JsonExporter : ProtoExporter;
        const standard = new PeriodicExportingMetricReader({ exporter: new Standard(options), exportIntervalMillis: 60_000 });
        const provider = new FastMeterProvider({ resource: RESOURCE, readers: [fast, standard] });
        record(provider);
        for (let round = 0; round < 2; round++) {
          await fast.forceFlush();
          await standard.forceFlush();
          vi.setSystemTime(Date.now() + 1000);
        }
        await provider.shutdown();
        // Two rounds plus the shutdown flush, from each exporter.
        expect(receiver.received).toHaveLength(6);
        for (let i = 0; i < 6; i += 2) {
          const [ours, theirs] = [receiver.received[i], receiver.received[i + 1]];
          expect(ours.path).toBe('/v1/metrics');
          expect(ours.headers['content-type']).toBe(theirs.headers['content-type']);
          expect(ours.headers['x-tenant']).toBe('t1');
          if (protocol === 'http/json') expect(JSON.parse(ours.body.toString())).toEqual(JSON.parse(theirs.body.toString()));
          else expect(decodeProtobuf(ours.body)).toEqual(decodeProtobuf(theirs.body));
          expect(ours.body.equals(theirs.body)).toBe(true);
        }
        const first = protocol === 'http/json' ? JSON.parse(receiver.received[0].body.toString()) : decodeProtobuf(receiver.received[0].body);
        const metrics = first.resourceMetrics[0].scopeMetrics[0].metrics;
        expect(metrics.map((m: { name: string }) => m.name)).toEqual(['requests', 'queue', 'latency', 'temp', 'cpu']);
        expect(metrics[0].sum.aggregationTemporality).toBe(temporality === 'delta' ? 1 : 2);
      });
    }
  });
}

class DeltaReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA, cardinalitySelector: () => 20_000 });
  }
  async onForceFlush(): Promise<void> {}
  async onShutdown(): Promise<void> {}
}

describe('the size hint (each body is written into a buffer the size of the previous one)', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`writes the standard serialiser's bytes whether the body is larger, smaller or the same (${protocol})`, async () => {
      const reader = new DeltaReader();
      const provider = new FastMeterProvider({ readers: [reader] });
      const counter = provider.getMeter('hint').createCounter('hits');
      const exporter = new FastOTLPMetricExporter({ protocol, url: receiver.url });
      const serializer = protocol === 'http/json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
      const sizes: number[] = [];
      for (const series of [3000, 10, 3000, 3000, 12_000]) {
        for (let i = 0; i < series; i++) counter.add(1, { i, route: `/r/${i % 7}` });
        const { resourceMetrics } = await reader.collect();
        expect(resourceMetrics.scopeMetrics[0].metrics[0].dataPoints).toHaveLength(series);
        // A 1 ms budget: the final copy of a chunked body is sliced too.
        const ours = await exporter.encode(columnsOf(resourceMetrics), new Slicer(1));
        expect(Buffer.from(ours).equals(Buffer.from(serializer.serializeRequest(resourceMetrics) as Uint8Array))).toBe(true);
        sizes.push(ours.length);
      }
      expect(sizes[1]).toBeLessThan(sizes[0] / 10);
      expect(sizes[4]).toBeGreaterThan(sizes[3] * 3);
      await provider.shutdown();
    });
  }
});

/** collectColumns (protected) read directly: the fast path's columns, as FastPeriodicExportingMetricReader encodes them. */
class ColumnReader extends FastPeriodicExportingMetricReader {
  columns(): ReturnType<FastPeriodicExportingMetricReader['collectColumns']> {
    return this.collectColumns(new Slicer(1));
  }
}

describe('series ids reused by other series (JSON attributes are kept per stream by series id)', () => {
  it("writes the standard serialiser's bytes while delta series are reclaimed and their ids taken by new ones", async () => {
    const exporter = new FastOTLPMetricExporter({ protocol: 'http/json', url: receiver.url, temporalityPreference: AggregationTemporalityPreference.DELTA });
    const fast = new ColumnReader({ exporter, exportIntervalMillis: 60_000, cardinalityLimits: { default: 20_000 } });
    const standard = new DeltaReader();
    const provider = new FastMeterProvider({ readers: [fast, standard] });
    const histogram = provider.getMeter('reuse').createHistogram('latency');
    // Each round records other series (some longer), so ids freed by the last round's are reused
    // with other attributes, and the stored bytes outgrow their buffer.
    for (const [round, series] of [1500, 3000, 200, 4000, 4000].entries()) {
      for (let i = 0; i < series; i++) histogram.record(i % 50, { round, i, pad: 'x'.repeat((i * 7 + round) % 40) });
      vi.setSystemTime(Date.now() + 1000);
      const ours = await exporter.encode(await fast.columns(), new Slicer(1));
      const { resourceMetrics } = await standard.collect();
      expect(resourceMetrics.scopeMetrics[0].metrics[0].dataPoints).toHaveLength(series);
      expect(Buffer.from(ours).toString()).toBe(Buffer.from(JsonMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array).toString());
    }
    await provider.shutdown();
  });
});

describe('transport (the standard OTLP/HTTP delegate)', () => {
  it('retries a 503 and gzips when asked', async () => {
    receiver.failures.push(503);
    const exporter = new FastOTLPMetricExporter({ url: receiver.url, compression: 'gzip' as never });
    const reader = new FastPeriodicExportingMetricReader({ exporter });
    const provider = new FastMeterProvider({ readers: [reader] });
    provider.getMeter('m').createCounter('c').add(1);
    await reader.forceFlush();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].headers['content-encoding']).toBe('gzip');
    expect(decodeProtobuf(receiver.received[0].body)).toMatchObject({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'c' }] }] }] });
    await provider.shutdown();
  });

  it('reports a non-retryable failure to the export callback', async () => {
    receiver.failures.push(400);
    const exporter = new FastOTLPMetricExporter({ url: receiver.url });
    const provider = new FastMeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })] });
    provider.getMeter('m').createCounter('c').add(1);
    const result = await new Promise<{ code: number; error?: Error }>(resolve =>
      exporter.export({ resource: RESOURCE, scopeMetrics: [] } as never, resolve as never),
    );
    expect(result.code).toBe(1);
    await provider.shutdown();
  });
});

describe('as a PushMetricExporter, and with other exporters', () => {
  it('works under the standard PeriodicExportingMetricReader (objects in, same body out)', async () => {
    const ours = new PeriodicExportingMetricReader({ exporter: new FastOTLPMetricExporter({ url: receiver.url }), exportIntervalMillis: 60_000 });
    const theirs = new PeriodicExportingMetricReader({ exporter: new ProtoExporter({ url: receiver.url }), exportIntervalMillis: 60_000 });
    const provider = new FastMeterProvider({ resource: RESOURCE, readers: [ours, theirs] });
    record(provider);
    await ours.forceFlush();
    await theirs.forceFlush();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0].body.equals(receiver.received[1].body)).toBe(true);
    await provider.shutdown();
  });

  it('FastPeriodicExportingMetricReader hands any other exporter the standard ResourceMetrics', async () => {
    const memory = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const reader = new FastPeriodicExportingMetricReader({ exporter: memory, exportIntervalMillis: 60_000 });
    const provider = new FastMeterProvider({ readers: [reader] });
    provider.getMeter('m').createCounter('c').add(3, { k: 'v' });
    await reader.forceFlush();
    const [rm] = memory.getMetrics();
    expect(rm.scopeMetrics[0].metrics[0].dataPoints.map(p => [p.attributes, p.value])).toEqual([[{ k: 'v' }, 3]]);
    expect(rm.scopeMetrics[0].metrics[0].aggregationTemporality).toBe(AggregationTemporality.DELTA);
    await provider.shutdown();
  });

  it('validates its options like PeriodicExportingMetricReader', () => {
    const exporter = new FastOTLPMetricExporter({ url: receiver.url });
    expect(() => new FastPeriodicExportingMetricReader({ exporter, exportIntervalMillis: 0 })).toThrow('exportIntervalMillis must be greater than 0');
    expect(() => new FastPeriodicExportingMetricReader({ exporter, exportTimeoutMillis: -1 })).toThrow('exportTimeoutMillis must be greater than 0');
    expect(() => new FastPeriodicExportingMetricReader({ exporter, exportIntervalMillis: 10, exportTimeoutMillis: 20 })).toThrow(
      'exportIntervalMillis must be greater than or equal to exportTimeoutMillis',
    );
    expect(() => new FastOTLPMetricExporter({ protocol: 'grpc' as never })).toThrow(/protocol must be/);
  });
});
