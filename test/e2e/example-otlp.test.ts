// The README says examples/http-service pushes OTLP when
// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set. Here it pushes to a loopback
// receiver: every 10 s, in the specification's default protocol (http/protobuf,
// through @fastmeter/node's register entry and exporter-metrics-otlp-proto),
// which must decode with `protoc --decode` against the official OTLP schema and
// carry the known request mix the test sent; and on SIGTERM the service's
// shutdown must deliver what was recorded after the last push.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpDecoders, OtlpReceiver, type Summary, histogramPoint, summarize } from './helpers/otlp.js';
import { missing, needPeers, peers } from './helpers/peers.js';
import { fetchWithTimeout, poll } from './helpers/proc.js';
import { findFamily, parseExposition } from './helpers/exposition.js';
import { MIX, type Service, type Tally, addTallies, sendMix, settle, startService } from './helpers/service.js';

const p = peers();
const CUMULATIVE = 'AGGREGATION_TEMPORALITY_CUMULATIVE';
const ZERO: Tally = { byRoute: {}, byRouteStatus: {}, byMethod: {}, total: 0 };

/** Requests per `route status` according to the decoded duration histogram. */
function countsByRouteStatus(summary: Summary): Record<string, number> {
  const out: Record<string, number> = {};
  for (const point of Object.values(summary.metrics['http.server.request.duration']?.points ?? {})) {
    const key = `${point.attributes['http.route']} ${point.attributes['http.response.status_code']}`;
    out[key] = (out[key] ?? 0) + histogramPoint(point).count;
  }
  return out;
}

function expectServiceMetrics(summary: Summary, tally: Tally): void {
  expect(summary.resource).toMatchObject({ 'service.name': 'http-service', 'service.version': '1.0.0' });
  const all = summary.metrics;
  const m = Object.fromEntries(Object.entries(all).filter(([, metric]) => metric.scope.name === 'example.http-service'));
  expect(Object.keys(m).sort()).toEqual([
    'app.orders.created',
    'app.queue.depth',
    'http.server.active_requests',
    'http.server.request.duration',
    'http.server.response.body.size',
  ]);
  for (const metric of Object.values(m)) expect(metric.scope).toEqual({ name: 'example.http-service', version: '1.0.0' });
  // Everything else is @fastmeter/node's runtime metrics.
  expect(new Set(Object.values(all).map(metric => metric.scope.name))).toEqual(new Set(['example.http-service', '@fastmeter/node']));

  expect(m['http.server.request.duration']).toMatchObject({ kind: 'histogram', temporality: CUMULATIVE, unit: 's' });
  expect(countsByRouteStatus(summary)).toEqual(tally.byRouteStatus);
  const first = histogramPoint(Object.values(m['http.server.request.duration'].points)[0]);
  expect(first.explicitBounds).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
  expect(first.bucketCounts.reduce((a, b) => a + b, 0)).toBe(first.count);

  // The view keeps method and route only on the size histogram.
  const size = m['http.server.response.body.size'];
  expect(size).toMatchObject({ kind: 'histogram', unit: 'By' });
  const perRoute: Record<string, number> = {};
  for (const point of Object.values(size.points)) {
    expect(Object.keys(point.attributes).sort()).toEqual(['http.request.method', 'http.route']);
    perRoute[String(point.attributes['http.route'])] = histogramPoint(point).count;
  }
  expect(perRoute).toEqual(tally.byRoute);

  expect(m['app.orders.created']).toMatchObject({ kind: 'sum', monotonic: true, temporality: CUMULATIVE, unit: '{order}' });
  const orders = Object.values(m['app.orders.created'].points);
  expect(orders.every(o => o.valueField === 'as_int')).toBe(true);
  expect(orders.reduce((n, o) => n + o.value!, 0)).toBe(tally.byRouteStatus['/api/orders 201'] ?? 0);

  expect(m['http.server.active_requests']).toMatchObject({ kind: 'sum', monotonic: false, temporality: CUMULATIVE });
  const active = Object.fromEntries(Object.values(m['http.server.active_requests'].points).map(pt => [pt.attributes['http.request.method'], pt.value]));
  expect(active).toEqual({ GET: 0, POST: 0 });

  expect(m['app.queue.depth']).toMatchObject({ kind: 'gauge' });
  expect(Object.values(m['app.queue.depth'].points).map(pt => pt.value)).toEqual([0]);
  expect(all['process.memory.usage']).toMatchObject({ kind: 'sum', monotonic: false, unit: 'By' });
  expect(Object.values(all['process.memory.usage'].points)[0]).toMatchObject({ valueField: 'as_int', value: expect.any(Number) });
  expect(Object.values(all['process.memory.usage'].points)[0].value).toBeGreaterThan(10 * 1024 * 1024);
}

describe('examples/http-service pushes OTLP to OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', () => {
  let receiver: OtlpReceiver | undefined;
  let decoders: OtlpDecoders | undefined;
  let service: Service | undefined;
  let sent: Tally = ZERO;
  const decoded: Summary[] = [];

  /** Decodes the requests that arrived since the last call (protobuf, by protoc). */
  async function decodeNew(): Promise<Summary[]> {
    const fresh = receiver!.take();
    expect(fresh.map(c => c.contentType)).toEqual(fresh.map(() => 'application/x-protobuf'));
    const out = await Promise.all(fresh.map(async c => summarize(await decoders!.decodeProtobuf(c.body))));
    decoded.push(...out);
    return out;
  }

  beforeAll(async () => {
    if (missing(p.protoc).length > 0) return;
    receiver = await OtlpReceiver.start();
    decoders = await OtlpDecoders.create(p.protoc.path!);
    // Only the endpoint: protocol, compression and temporality stay the exporter's defaults.
    const env: NodeJS.ProcessEnv = { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.url };
    for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) env[name] = undefined;
    env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = receiver.url;
    env.FASTMETER_RUNTIME_METRICS = 'true';
    service = await startService(env);
  }, 30_000);

  afterAll(async () => {
    await service?.daemon.stop();
    await receiver?.close();
    await decoders?.close();
  });

  it('pushes every 10 s: protobuf that the official schema accepts, carrying the requests sent', async ctx => {
    needPeers(ctx, p.protoc);
    expect(service!.daemon.output).toContain(`OTLP push:          every 10 s to ${receiver!.url} (http/protobuf)`);
    sent = await sendMix(service!.base);
    await settle();
    // The first periodic push comes 10 s after start; wait for one that has all the requests.
    const summary = await poll(async () => (await decodeNew()).find(s => Object.values(countsByRouteStatus(s)).reduce((a, b) => a + b, 0) === sent.total), {
      timeoutMs: 25_000,
      intervalMs: 250,
      what: 'a periodic OTLP push with every request',
      details: () => service!.daemon.output,
    });
    expectServiceMetrics(summary, sent);
  }, 40_000);

  it('flushes what was recorded after the last push when it is stopped (SIGTERM → shutdown())', async ctx => {
    needPeers(ctx, p.protoc);
    const second = await sendMix(
      service!.base,
      MIX.map(k => ({ ...k, count: Math.ceil(k.count / 4) })),
    );
    sent = addTallies(sent, second);
    await settle();
    // The Prometheus reader of the same provider agrees with the client before the stop.
    const text = await (await fetchWithTimeout(service!.metricsUrl)).text();
    const scraped: Record<string, number> = {};
    for (const s of findFamily(parseExposition(text), 'http_server_request_duration', 'histogram').samples) {
      if (!s.name.endsWith('_count')) continue;
      const key = `${s.labels.http_route} ${s.labels.http_response_status_code}`;
      scraped[key] = (scraped[key] ?? 0) + s.value;
    }
    expect(scraped).toEqual(sent.byRouteStatus);
    await decodeNew();
    const pushesBefore = decoded.length;
    expect(await service!.daemon.stop(10_000)).toBe(0);
    expect(service!.daemon.output).toContain('stopped');
    // The signal flushes once (the service has its own SIGTERM handler), and its shutdown() exports the final values.
    const after = await decodeNew();
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(decoded.length).toBe(pushesBefore + after.length);
    expectServiceMetrics(after[after.length - 1], sent);
  }, 30_000);
});
