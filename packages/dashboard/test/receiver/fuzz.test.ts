// No input crashes the receiver: 12,000 mutated bodies (protobuf byte mutations,
// JSON text and structure mutations, gzip variants), each answered with 200 or
// 400 (never 500, never a throw), and whatever reaches the ring is well formed.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpMetricsReceiver, type ResourceMetrics, type RunningReceiver, startOtlpReceiver } from '../../src/index.js';
import { gzip, jsonBody, protobufBody, richRequest } from './requests.js';

/** mulberry32: a small seeded PRNG, so a failure replays with its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] };
}
type Rng = ReturnType<typeof rng>;

function mutateBytes(r: Rng, seed: Buffer): Buffer {
  let b = Buffer.from(seed);
  const rounds = 1 + r.int(4);
  for (let i = 0; i < rounds; i++) {
    const at = r.int(Math.max(1, b.length));
    switch (r.int(7)) {
      case 0: // flip a bit
        if (b.length) b[at] ^= 1 << r.int(8);
        break;
      case 1: // set a byte to an interesting value
        if (b.length) b[at] = r.pick([0x00, 0xff, 0x7f, 0x80, 0x0a, 0x12, 0x1a, 0x22, 0x08]);
        break;
      case 2: // truncate
        b = b.subarray(0, at);
        break;
      case 3: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(16))]);
        break;
      case 4: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + r.int(8) }, () => r.int(256))), b.subarray(at)]);
        break;
      case 5: // duplicate a chunk
        b = Buffer.concat([b, b.subarray(at, at + 1 + r.int(64))]);
        break;
      default: // a huge varint length
        b = Buffer.concat([b.subarray(0, at), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), b.subarray(at)]);
    }
  }
  return b;
}

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
