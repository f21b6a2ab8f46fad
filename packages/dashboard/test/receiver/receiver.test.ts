// The receiver's answers: conversion of every point kind, partial success,
// malformed bodies, unsupported types and encodings, size limits (HTTP level).
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpMetricsReceiver, type RunningReceiver, startOtlpReceiver } from '../../src/index.js';
import { CaptureRing } from '../helpers.js';
import { decodeResponse, decodeStatus, gzip, jsonBody, kv, protobufBody, richRequest } from './requests.js';

const PB = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

describe.each([
  [PB, protobufBody],
  [JSON_TYPE, jsonBody],
])('%s', (contentType, encode) => {
  it('converts every point kind into the ResourceMetrics shape', async () => {
    const ring = new CaptureRing();
    const receiver = new OtlpMetricsReceiver({ ring });
    const outcome = await receiver.export(encode(richRequest()), { contentType });
    expect(outcome.status).toBe(200);
    expect(decodeResponse(contentType, outcome.body)).toEqual({});
    expect(ring.received).toHaveLength(1);
    const [rm] = ring.received;
    expect(rm.resource.attributes).toEqual({ 'service.name': 'svc', 'service.instance.id': 'i-1' });
    expect(rm.scopeMetrics[0].scope).toEqual({ name: 'lib', version: '2.0' });
    const [requests, temperature, latency, sizes] = rm.scopeMetrics[0].metrics;
    expect(requests.descriptor).toEqual({ name: 'requests', description: '', unit: '{request}', type: 'COUNTER', valueType: 1 });
    expect(requests).toMatchObject({ dataPointType: 3, aggregationTemporality: 1, isMonotonic: true });
    expect(requests.dataPoints.map(p => [p.attributes, p.value])).toEqual([
      [{ route: '/a', ok: true }, 12],
      [{ route: '/b', n: 7 }, 2.5],
    ]);
    expect(requests.dataPoints[0].startTime).toEqual([1_700_000_000, 0]);
    expect(requests.dataPoints[0].endTime).toEqual([1_700_000_010, 123_456_789]);
    expect(temperature).toMatchObject({ dataPointType: 2, descriptor: { type: 'GAUGE', valueType: 1 } });
    expect(temperature.dataPoints[0]).toMatchObject({ attributes: { tags: ['x', 1.5] }, value: -3 });
    expect(latency).toMatchObject({ dataPointType: 0, aggregationTemporality: 0 });
    expect(latency.dataPoints[0].value).toEqual({ buckets: { boundaries: [1, 5], counts: [1, 2, 3] }, count: 6, sum: 12.5, min: 0.5, max: 9 });
    expect(sizes).toMatchObject({ dataPointType: 1, aggregationTemporality: 1 });
    expect(sizes.dataPoints[0].value).toEqual({
      count: 5,
      sum: 40,
      scale: 2,
      zeroCount: 1,
      positive: { offset: 3, bucketCounts: [2, 2] },
      negative: { offset: 0, bucketCounts: [] },
    });
    expect(receiver.stats).toMatchObject({ requests: 1, acceptedPoints: 5, rejectedPoints: 0, failedRequests: 0 });
  });

  it('rejects invalid points with a partial success and keeps the rest', async () => {
    const ring = new CaptureRing();
    const receiver = new OtlpMetricsReceiver({ ring });
    const req = richRequest();
    const metrics = req.resourceMetrics[0].scopeMetrics[0].metrics;
    metrics[0].sum.dataPoints.push({ timeUnixNano: '1', asInt: '-1' }); // negative in a monotonic sum
    metrics[2].histogram.dataPoints.push({ timeUnixNano: '1', count: '3', bucketCounts: ['1'], explicitBounds: [1, 2] }); // wrong bucket count
    metrics.push({ name: 'summary', summary: { dataPoints: [{ count: '1', sum: 1 }] } });
    metrics.push({ name: '', gauge: { dataPoints: [{ asDouble: 1 }] } });
    metrics.push({ name: 'stale', gauge: { dataPoints: [{ flags: 1 }] } }); // no recorded value: skipped, not rejected
    const outcome = await receiver.export(encode(req), { contentType });
    expect(outcome.status).toBe(200);
    const response = decodeResponse(contentType, outcome.body);
    expect(Number(response.partialSuccess.rejectedDataPoints)).toBe(4);
    expect(response.partialSuccess.errorMessage).toContain('negative value in a monotonic sum');
    expect(response.partialSuccess.errorMessage).toContain('1 bucket counts for 2 bounds');
    expect(response.partialSuccess.errorMessage).toContain('Summary points are not supported');
    expect(outcome).toMatchObject({ accepted: 5, rejected: 4 });
    expect(ring.received[0].scopeMetrics[0].metrics.map(m => m.descriptor.name)).toEqual(['requests', 'temperature', 'latency', 'sizes']);
  });

  it('answers 400 with a reason for a malformed body', async () => {
    const receiver = new OtlpMetricsReceiver({ ring: new CaptureRing() });
    const body = contentType === PB ? Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]) : Buffer.from('{"resourceMetrics": [');
    const outcome = await receiver.export(body, { contentType });
    expect(outcome.status).toBe(400);
    expect(outcome.contentType).toBe(contentType);
    const status = decodeStatus(contentType, outcome.body);
    expect(status.code).toBe(3);
    expect(status.message).toMatch(contentType === PB ? /invalid protobuf ExportMetricsServiceRequest: .+/ : /invalid JSON ExportMetricsServiceRequest: .+/);
  });

  it('accepts gzip, and refuses a gzip bomb past the limit with 413', async () => {
    const ring = new CaptureRing();
    const receiver = new OtlpMetricsReceiver({ ring, maxBodyBytes: 64 * 1024 });
    expect((await receiver.export(gzip(encode(richRequest())), { contentType, contentEncoding: 'gzip' })).status).toBe(200);
    expect(ring.received).toHaveLength(1);
    const bomb = gzip(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const outcome = await receiver.export(bomb, { contentType, contentEncoding: 'gzip' });
    expect(outcome.status).toBe(413);
    expect(decodeStatus(contentType, outcome.body).message).toMatch(/gunzipped body larger than 65536 bytes/);
    const broken = await receiver.export(Buffer.from('not gzip'), { contentType, contentEncoding: 'gzip' });
    expect(broken.status).toBe(400);
    expect(broken.message).toMatch(/invalid gzip body/);
  });
});

describe('request validation', () => {
  it('refuses other content types and encodings with 415', async () => {
    const receiver = new OtlpMetricsReceiver({ ring: new CaptureRing() });
    const body = protobufBody(richRequest());
    expect((await receiver.export(body, { contentType: 'text/plain' })).status).toBe(415);
    expect((await receiver.export(body, { contentType: PB, contentEncoding: 'br' })).status).toBe(415);
    expect((await receiver.export(body, { contentType: 'application/x-protobuf; charset=binary' })).status).toBe(200);
  });

  it('keeps attributes safe: no prototype pollution, nested values bounded', async () => {
    const ring = new CaptureRing();
    const receiver = new OtlpMetricsReceiver({ ring });
    const nest = (levels: number) => {
      let v: Record<string, unknown> = { stringValue: 'leaf' };
      for (let i = 0; i < levels; i++) v = { kvlistValue: { values: [kv('k', v)] } };
      return v;
    };
    const deep = nest(20);
    const req = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'm',
                  gauge: {
                    dataPoints: [{ asDouble: 1, attributes: [kv('__proto__', { stringValue: 'x' }), kv('deep', deep), kv('bytes', { bytesValue: 'AQI=' })] }],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const outcome = await receiver.export(jsonBody(req), { contentType: JSON_TYPE });
    expect(outcome.message).toBeUndefined();
    expect(outcome.status).toBe(200);
    const attrs = ring.received[0].scopeMetrics[0].metrics[0].dataPoints[0].attributes;
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(Object.keys(attrs).sort()).toEqual(['bytes', 'deep']);
    expect(attrs.bytes).toBe('AQI=');
    expect(typeof attrs.deep).toBe('string');
    // Nesting past protobufjs' recursion limit is a 400, not a stack overflow.
    const tooDeep = structuredClone(req);
    tooDeep.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].attributes[1].value = nest(60);
    const refused = await receiver.export(jsonBody(tooDeep), { contentType: JSON_TYPE });
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/max(imum nesting)? depth exceeded/);
  });

  it('rejects bad options with a typed error', () => {
    expect(() => new OtlpMetricsReceiver({} as never)).toThrow(/options.ring must have an ingest/);
    expect(() => new OtlpMetricsReceiver({ ring: new CaptureRing(), maxBodyBytes: -1 })).toThrow(RangeError);
  });
});

describe('over HTTP', () => {
  let running: RunningReceiver;
  let ring: CaptureRing;
  beforeAll(async () => {
    ring = new CaptureRing();
    running = await startOtlpReceiver({ ring, port: 0, maxBodyBytes: 1024 });
  });
  afterAll(() => running.close());

  function post(
    path: string,
    body: Buffer,
    headers: Record<string, string>,
    method = 'POST',
  ): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`http://127.0.0.1:${running.port}${path}`, { method, headers }, res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('binds 127.0.0.1 and serves /v1/metrics', async () => {
    expect(running.url).toBe(`http://127.0.0.1:${running.port}/v1/metrics`);
    const ok = await post('/v1/metrics', protobufBody(richRequest()), { 'content-type': PB });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe(PB);
    expect((await post('/v2/metrics', Buffer.alloc(0), { 'content-type': PB })).status).toBe(404);
    expect((await post('/v1/metrics', Buffer.alloc(0), {}, 'GET')).status).toBe(405);
  });

  it('answers 413 when the declared or the streamed body passes the limit', async () => {
    const big = Buffer.alloc(4096, 1);
    const declared = await post('/v1/metrics', big, { 'content-type': PB, 'content-length': String(big.length) });
    expect(declared.status).toBe(413);
    expect(decodeStatus(PB, declared.body).message).toBe('body larger than 1024 bytes');
    const chunked = await post('/v1/metrics', big, { 'content-type': JSON_TYPE, 'transfer-encoding': 'chunked' });
    expect(chunked.status).toBe(413);
    expect(decodeStatus(JSON_TYPE, chunked.body).message).toBe('body larger than 1024 bytes');
    // The server is still healthy afterwards.
    expect((await post('/v1/metrics', jsonBody(richRequest()), { 'content-type': JSON_TYPE })).status).toBe(413);
    const small = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ asInt: '1' }] } }] }] }] };
    expect((await post('/v1/metrics', jsonBody(small), { 'content-type': JSON_TYPE })).status).toBe(200);
  });
});

describe("self-metrics and the ring's answer", () => {
  it('reports requests, points and bytes on the meter fastmeter', async () => {
    const { MeterProvider, InMemoryMetricExporter, AggregationTemporality, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const receiver = new OtlpMetricsReceiver({ ring: new CaptureRing(), meterProvider: provider });
    const body = protobufBody(richRequest());
    await receiver.export(body, { contentType: PB });
    await receiver.export(Buffer.from('x'), { contentType: PB });
    await reader.forceFlush();
    const scope = exporter
      .getMetrics()
      .at(-1)!
      .scopeMetrics.find(s => s.scope.name === 'fastmeter')!;
    const byName = Object.fromEntries(scope.metrics.map(m => [m.descriptor.name, m.dataPoints.map(p => [p.attributes, p.value])]));
    expect(byName['fastmeter.receiver.requests']).toEqual([
      [{ 'http.response.status_code': 200 }, 1],
      [{ 'http.response.status_code': 400 }, 1],
    ]);
    expect(byName['fastmeter.receiver.points']).toEqual([
      [{ result: 'accepted' }, 5],
      [{ result: 'rejected' }, 0],
    ]);
    expect(byName['fastmeter.receiver.bytes']).toEqual([[{}, body.length + 1]]);
    await provider.shutdown();
  });

  it('counts points the ring did not store as rejected', async () => {
    const receiver = new OtlpMetricsReceiver({ ring: { ingest: () => ({ points: 5, dropped: 2, overflowed: 0 }) } });
    const outcome = await receiver.export(jsonBody(richRequest()), { contentType: JSON_TYPE });
    expect(outcome).toMatchObject({ status: 200, accepted: 3, rejected: 2 });
    expect(decodeResponse(JSON_TYPE, outcome.body).partialSuccess.errorMessage).toMatch(/2 point\(s\) not stored by the ring/);
  });
});
