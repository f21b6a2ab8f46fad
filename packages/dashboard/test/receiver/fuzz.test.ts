// No input crashes the receiver: 12,000 mutated bodies (protobuf byte mutations,
// JSON text and structure mutations, gzip variants), each answered with 200 or
// 400 (never 500, never a throw), and whatever reaches the ring is well formed.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpMetricsReceiver, type ResourceMetrics, type RunningReceiver, startOtlpReceiver } from '../../src/index.js';
import { type Rng, mutateBytes, rng } from './mutate.js';
import { gzip, jsonBody, protobufBody, richRequest } from './requests.js';

const ODD_VALUES = [null, true, -1, 0, 1e308, -1e308, 2 ** 64, '', 'x', '-5', '18446744073709551616', '1e3', 'NaN', [], {}, [null], { a: 1 }];

function mutateJson(r: Rng, value: unknown, depth = 0): unknown {
  if (r.next() < 0.08) return r.pick(ODD_VALUES);
  if (Array.isArray(value)) {
    const out = value.map(v => mutateJson(r, v, depth + 1));
    if (r.next() < 0.1) out.push(r.pick(ODD_VALUES));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (r.next() < 0.05) continue;
      out[r.next() < 0.03 ? r.pick(['__proto__', 'constructor', 'data_points', 'asInt', 'value', 'x']) : k] = mutateJson(r, v, depth + 1);
    }
    return out;
  }
  return value;
}

function mutateText(r: Rng, text: string): string {
  const at = r.int(text.length);
  switch (r.int(3)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + r.pick(['"', '{', '}', '[', ']', ',', ':', '\\u0000', '9'.repeat(400), 'null']) + text.slice(at);
    default:
      return text.slice(0, at) + text.slice(at + 1 + r.int(10));
  }
}

/** What the ring may receive: the invariants convert.ts promises. */
function checkWellFormed(rm: ResourceMetrics): void {
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      expect(typeof m.descriptor.name).toBe('string');
      expect(m.descriptor.name).not.toBe('');
      expect(m.dataPoints.length).toBeGreaterThan(0);
      for (const p of m.dataPoints) {
        expect(Number.isFinite(p.endTime[0]) && Number.isFinite(p.endTime[1])).toBe(true);
        expect(Object.getPrototypeOf(p.attributes)).toBe(Object.prototype);
        const v: any = p.value;
        if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
        else if (m.dataPointType === 0) {
          expect(v.buckets.counts.length).toBe(v.buckets.boundaries.length + 1);
          expect(v.buckets.counts.reduce((a: number, b: number) => a + b, 0)).toBe(v.count);
        } else {
          expect(v.zeroCount + [...v.positive.bucketCounts, ...v.negative.bucketCounts].reduce((a: number, b: number) => a + b, 0)).toBe(v.count);
        }
      }
    }
  }
}

const PB = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

describe('receiver fuzz', () => {
  it('answers 12,000 mutated bodies with 200/400/413 and stays consistent', async () => {
    const received: ResourceMetrics[] = [];
    const receiver = new OtlpMetricsReceiver({ ring: { ingest: rm => received.push(rm) }, maxBodyBytes: 256 * 1024 });
    const seeds = [protobufBody(richRequest()), protobufBody({ resourceMetrics: [richRequest().resourceMetrics[0], richRequest().resourceMetrics[0]] })];
    const jsonSeed = richRequest();
    const counts: Record<number, number> = {};
    let total = 0;
    for (let seed = 1; seed <= 12_000; seed++) {
      const r = rng(seed);
      let body: Buffer;
      let contentType: string;
      const kind = seed % 4;
      if (kind <= 1) {
        body = mutateBytes(r, r.pick(seeds));
        contentType = PB;
      } else if (kind === 2) {
        body = jsonBody(mutateJson(r, jsonSeed) as Record<string, any>);
        contentType = JSON_TYPE;
      } else {
        body = Buffer.from(mutateText(r, JSON.stringify(jsonSeed)));
        contentType = JSON_TYPE;
      }
      let contentEncoding: string | undefined;
      if (seed % 10 === 0) {
        body = gzip(body);
        contentEncoding = 'gzip';
        if (seed % 20 === 0) body = mutateBytes(r, body);
      }
      const before = received.length;
      const outcome = await receiver.export(body, { contentType, contentEncoding });
      total++;
      counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
      if (![200, 400, 413].includes(outcome.status)) throw new Error(`seed ${seed}: status ${outcome.status}: ${outcome.message}`);
      for (const rm of received.slice(before)) checkWellFormed(rm);
    }
    expect(total).toBeGreaterThanOrEqual(10_000);
    // Both outcomes are exercised (a fuzzer that only produces garbage proves little).
    expect(counts[200]).toBeGreaterThan(1000);
    expect(counts[400]).toBeGreaterThan(1000);
    expect(receiver.stats.requests).toBe(total);
  });

  describe('over HTTP', () => {
    let running: RunningReceiver;
    beforeAll(async () => {
      running = await startOtlpReceiver({ ring: { ingest() {} }, port: 0 });
    });
    afterAll(() => running.close());

    it('keeps serving after 500 mutated requests with odd headers', async () => {
      const seed = protobufBody(richRequest());
      const statuses = new Set<number>();
      for (let i = 0; i < 500; i++) {
        const r = rng(100_000 + i);
        const headers: Record<string, string> = { 'content-type': r.pick([PB, JSON_TYPE, 'application/x-protobuf;x=y', 'text/html', '']) };
        if (r.next() < 0.2) headers['content-encoding'] = r.pick(['gzip', 'deflate', 'identity', 'GZIP']);
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(running.url, { method: r.pick(['POST', 'POST', 'POST', 'PUT']), headers }, res => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end(mutateBytes(r, seed));
        });
        statuses.add(status);
        expect(status).toBeLessThan(500);
      }
      expect(statuses.has(200) && statuses.has(400) && statuses.has(415) && statuses.has(405)).toBe(true);
    });
  });
});
