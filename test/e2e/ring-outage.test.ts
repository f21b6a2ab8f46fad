// Forwarding from @fastmeter/ring through a backend outage: the real
// OTLPMetricExporter (protobuf) pushes to a loopback backend that goes down for
// 2 minutes (first answering 503, then resetting connections) of a 5-minute
// ring, then comes back. The ring runs on a simulated clock (Date only: the
// exporter's sockets and timers are real); the forwarder exports every 10
// simulated seconds. Every interval must reach the backend, once, in order,
// decoded by protoc against the official OTLP schema: deltas without a gap
// summing to what was recorded; cumulative totals equal to the true totals.
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { FastMeterProvider } from '@fastmeter/sdk';
import { RingBufferReader } from '@fastmeter/ring';
import { diag } from '@opentelemetry/api';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { OtlpDecoders, histogramPoint, summarize } from './helpers/otlp.js';
import { missing, needPeers, peers } from './helpers/peers.js';

const p = peers();
const T0 = 1_800_000_000_000;
const INTERVAL = 10_000;

type Mode = 'up' | '503' | 'reset';

/** A loopback OTLP/HTTP backend that can be taken down; keeps the bodies it accepted, in arrival order. */
class Backend {
  mode: Mode = 'up';
  readonly accepted: Buffer[] = [];
  refused = 0;
  private constructor(
    private readonly _server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Backend> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const backend = new Backend(server, `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/metrics`);
    server.on('request', (req, res) => backend._handle(req, res));
    return backend;
  }

  private _handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.mode === 'reset') {
      this.refused++;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.mode === '503') {
        this.refused++;
        res.writeHead(503).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      this.accepted.push(body);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  }

  async close(): Promise<void> {
    this._server.closeAllConnections();
    await new Promise(resolve => this._server.close(resolve));
  }
}

describe('forwarding from the ring through a 2-minute backend outage (real OTLPMetricExporter, protobuf)', () => {
  let decoders: OtlpDecoders | undefined;

  beforeAll(async () => {
    if (missing(p.protoc).length === 0) decoders = await OtlpDecoders.create(p.protoc.path!);
  });
  afterAll(async () => {
    await decoders?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  for (const temporality of ['delta', 'cumulative'] as const) {
    it(`every interval arrives, once and in order, with ${temporality} values that add up`, async ctx => {
      needPeers(ctx, p.protoc);
      vi.spyOn(diag, 'warn').mockImplementation(() => {});
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(T0);
      const backend = await Backend.start();
      const ring = new RingBufferReader({ slots: 300, intervalMillis: 3_600_000 }); // collections driven by the simulation
      const provider = new FastMeterProvider({ readers: [ring], resource: resourceFromAttributes({ 'service.name': 'outage' }) });
      const meter = provider.getMeter('jobs');
      const done = meter.createCounter('jobs.done');
      const duration = meter.createHistogram('jobs.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
      const exporter = new OTLPMetricExporter({
        url: backend.url,
        timeoutMillis: 1000,
        temporalityPreference: temporality === 'delta' ? AggregationTemporalityPreference.DELTA : AggregationTemporalityPreference.CUMULATIVE,
      });
      const forwarder = ring.forward(exporter, { intervalMillis: INTERVAL, manual: true, timeoutMillis: 5000 });
      /** The true totals at each forwarding boundary (simulated ms → jobs done). */
      const truth = new Map<number, { a: number; b: number; count: number }>();
      let a = 0;
      let b = 0;
      let count = 0;
      let pendingDuringOutage = 0;
      try {
        // 1 minute up, 1 minute of 503s, 1 minute of connection resets, 1 minute up: 4 of the ring's 5 minutes.
        for (let s = 1; s <= 240; s++) {
          backend.mode = s <= 60 ? 'up' : s <= 120 ? '503' : s <= 180 ? 'reset' : 'up';
          const na = 1 + (s % 5);
          const nb = s % 3;
          done.add(na, { queue: 'a' });
          done.add(nb, { queue: 'b' });
          for (let k = 0; k < na; k++) duration.record((k % 4) * 0.4);
          a += na;
          b += nb;
          count += na;
          vi.setSystemTime(T0 + s * 1000);
          await ring.collect();
          if (s % 10 === 0) {
            truth.set(T0 + s * 1000, { a, b, count });
            await forwarder.tick();
            if (s === 180) pendingDuringOutage = forwarder.stats().pending;
          }
        }
      } finally {
        await provider.shutdown();
        await backend.close();
      }
      expect(backend.refused).toBeGreaterThanOrEqual(12);
      expect(pendingDuringOutage).toBe(12);
      expect(forwarder.stats()).toMatchObject({ pending: 0, droppedIntervals: 0 });

      // Decoded with the official schema, in arrival order.
      const requests = [];
      for (const body of backend.accepted) requests.push(summarize(await decoders!.decodeProtobuf(body)));
      const boundaries = [...truth.keys()];
      // 24 intervals, plus the shutdown's last export (it carries nothing new for delta).
      const ends = requests.map(r => Number(r.metrics['jobs.done'].points['queue="a"'].timeNs / 1_000_000n));
      expect(ends.slice(0, 24)).toEqual(boundaries);
      expect(new Set(ends).size).toBe(ends.length);
      for (const r of requests) {
        expect(r.resource['service.name']).toBe('outage');
        expect(r.metrics['jobs.done'].temporality).toBe(temporality === 'delta' ? 'AGGREGATION_TEMPORALITY_DELTA' : 'AGGREGATION_TEMPORALITY_CUMULATIVE');
      }
      const values = (q: 'a' | 'b') => requests.slice(0, 24).map(r => r.metrics['jobs.done'].points[`queue="${q}"`]?.value ?? 0);
      const counts = requests.slice(0, 24).map(r => histogramPoint(Object.values(r.metrics['jobs.duration'].points)[0]).count);
      if (temporality === 'delta') {
        // No gap: each interval starts where the previous one ended; the deltas add up to the totals.
        for (let i = 1; i < 24; i++) {
          const point = requests[i].metrics['jobs.done'].points['queue="a"'];
          expect(point.startNs).toBe(requests[i - 1].metrics['jobs.done'].points['queue="a"'].timeNs);
        }
        const deltas = boundaries.map((t, i) => {
          const prev = i === 0 ? { a: 0, b: 0, count: 0 } : (truth.get(boundaries[i - 1]) as { a: number; b: number; count: number });
          const now = truth.get(t) as { a: number; b: number; count: number };
          return { a: now.a - prev.a, b: now.b - prev.b, count: now.count - prev.count };
        });
        expect(values('a')).toEqual(deltas.map(d => d.a));
        expect(values('b')).toEqual(deltas.map(d => d.b));
        expect(counts).toEqual(deltas.map(d => d.count));
      } else {
        expect(values('a')).toEqual(boundaries.map(t => truth.get(t)?.a));
        expect(values('b')).toEqual(boundaries.map(t => truth.get(t)?.b));
        expect(counts).toEqual(boundaries.map(t => truth.get(t)?.count));
      }
    }, 120_000);
  }
});
