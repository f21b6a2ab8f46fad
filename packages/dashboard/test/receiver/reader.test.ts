// The receiver's protobufjs Reader (interned strings, reused timestamp Longs,
// exact numbers for 64-bit values below 2^53) and the converter's attribute
// cache: each must give exactly what protobufjs' own reader and a fresh
// conversion give, on well-formed and on mutated bodies.
import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { AttributeCache, Converter } from '../../src/receiver/convert.js';
import { ByteTable, MAX_INTERNED_BYTES, MAX_KEY_VALUE_BYTES, OtlpReader, StringCache } from '../../src/receiver/reader.js';
import { ExportRequest } from '../../src/receiver/schema.js';
import { CaptureRing } from '../helpers.js';
import { OtlpMetricsReceiver } from '../../src/index.js';
import { mutateBytes, rng } from './mutate.js';
import { jsonBody, kv, protobufBody, richRequest } from './requests.js';

const PB = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const NOW: [number, number] = [1, 0];

/** Nanoseconds (as a decimal string) → the HrTime the converter must produce. */
const hr = (ns: string): [number, number] => [Number(BigInt(ns) / 1_000_000_000n), Number(BigInt(ns) % 1_000_000_000n)];

const gauge = (name: string, dataPoints: Record<string, unknown>[]) => ({ name, gauge: { dataPoints } });
const request = (metrics: Record<string, unknown>[], resource: Record<string, unknown>[] = []) => ({
  resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ scope: { name: 's' }, metrics }] }],
});

/** Edge values of the 64-bit fields: around 2^53 (numbers below it, Longs above) and the type limits. */
function edgeRequest(): Record<string, any> {
  const ints = ['0', '-1', '9007199254740991', '9007199254740992', '-9007199254740992', '-9007199254740993', '9223372036854775807', '-9223372036854775808'];
  const times = ['0', '1', '9007199254740991', '9007199254740992', '1700000000000000000', '18446744073709551615'];
  return request(
    [
      gauge(
        'ints',
        ints.map((asInt, i) => ({
          asInt,
          timeUnixNano: times[i % times.length],
          startTimeUnixNano: times[(i + 2) % times.length],
          attributes: [kv('i', { stringValue: String(i) })],
        })),
      ),
      {
        name: 'h',
        histogram: {
          aggregationTemporality: 2,
          dataPoints: [{ timeUnixNano: times[4], count: '9007199254740993', bucketCounts: ['9007199254740992', '1'], explicitBounds: [1] }],
        },
      },
    ],
    [kv('service.name', { stringValue: 'edge' })],
  );
}

/**
 * Decodes with protobufjs' own reader and with the OtlpReader: the same result or
 * the same error. `tiny`: with two-slot tables, where most lookups collide.
 */
function decodeBoth(body: Buffer, tiny = false): { ok: boolean; stock?: any; ours?: any } {
  let stock: any;
  let stockError: string | undefined;
  try {
    stock = ExportRequest.decode(body);
  } catch (err) {
    stockError = String((err as Error).message);
  }
  let ours: any;
  let oursError: string | undefined;
  try {
    ours = ExportRequest.decode(tiny ? new OtlpReader(body, new StringCache(2), new ByteTable(2, MAX_KEY_VALUE_BYTES)) : new OtlpReader(body));
  } catch (err) {
    oursError = String((err as Error).message);
  }
  expect(oursError).toBe(stockError);
  return { ok: stockError === undefined, stock, ours };
}

const asObject = (message: any) => ExportRequest.toObject(message, { longs: String, bytes: String, arrays: false, defaults: false });

describe('OtlpReader', () => {
  it('decodes 3,000 mutated bodies exactly like protobufjs’ own reader, and they convert to the same data', () => {
    const seeds = [
      protobufBody(richRequest()),
      protobufBody(edgeRequest()),
      protobufBody({ resourceMetrics: [richRequest().resourceMetrics[0], edgeRequest().resourceMetrics[0]] }),
    ];
    let decoded = 0;
    let accepted = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed);
      let body: Buffer;
      if (seed <= seeds.length) body = seeds[seed - 1];
      else if (seed % 2 === 0) {
        // One flipped bit: mostly still decodable (strings with invalid UTF-8, other timestamps and values).
        body = Buffer.from(r.pick(seeds));
        body[r.int(body.length)] ^= 1 << r.int(8);
      } else body = mutateBytes(r, r.pick(seeds));
      const { ok, stock, ours } = decodeBoth(body, seed % 3 === 0);
      if (!ok) continue;
      decoded++;
      expect(asObject(ours)).toEqual(asObject(stock));
      const a = new Converter(NOW).convert(stock);
      const b = new Converter(NOW).convert(ours);
      expect(b).toEqual(a);
      accepted += b.accepted;
    }
    // Both decodable and broken bodies were exercised.
    expect(decoded).toBeGreaterThan(1000);
    expect(decoded).toBeLessThan(3000);
    expect(accepted).toBeGreaterThan(10_000);
  });

  it('returns one frozen KeyValue per distinct scalar attribute, and decodes the others each time', () => {
    const strings = new StringCache();
    const table = new ByteTable<any>(64, MAX_KEY_VALUE_BYTES);
    const attrs = (i: number) => [
      kv('route', { stringValue: `/r${i % 2}` }),
      kv('n', { intValue: '-9223372036854775808' }),
      kv('tags', { arrayValue: { values: [{ stringValue: 'x' }] } }),
      kv('long', { stringValue: 'z'.repeat(MAX_KEY_VALUE_BYTES) }),
    ];
    const dataPoints = Array.from({ length: 4 }, (_, i) => ({ asDouble: i, timeUnixNano: '5', attributes: attrs(i) }));
    const body = protobufBody(request([gauge('g', dataPoints)]));
    const decoded: any = ExportRequest.decode(new OtlpReader(body, strings, table));
    const lists = decoded.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints.map((p: any) => p.attributes);
    expect(lists[2][0]).toBe(lists[0][0]);
    expect(lists[1][0]).not.toBe(lists[0][0]);
    expect(lists[1][0].value.stringValue).toBe('/r1');
    expect(lists[3][1]).toBe(lists[0][1]);
    expect(Object.isFrozen(lists[0][0]) && Object.isFrozen(lists[0][0].value)).toBe(true);
    expect(Object.isFrozen(lists[0][1].value.intValue)).toBe(true);
    expect(lists[0][1].value.intValue.toString()).toBe('-9223372036854775808');
    // Arrays (and kvlists, bytes) and long KeyValues are decoded for each point.
    expect(lists[1][2]).not.toBe(lists[0][2]);
    expect(Object.isFrozen(lists[0][2])).toBe(false);
    expect(lists[1][3]).not.toBe(lists[0][3]);
    expect(lists[3][3].value.stringValue).toBe('z'.repeat(MAX_KEY_VALUE_BYTES));
    expect(table.size).toBe(3);
    // Decoding another body with the same attributes hits the table.
    const hits = table.hits;
    ExportRequest.decode(new OtlpReader(body, strings, table));
    expect(table.hits).toBe(hits + 8);
  });

  it('answers nesting at protobufjs’ recursion limit exactly as protobufjs does', () => {
    // Written field by field: protobufjs' encoder refuses nesting this deep.
    const field = (id: number, bytes: Uint8Array) =>
      protobuf.Writer.create()
        .uint32((id << 3) | 2)
        .bytes(bytes)
        .finish();
    const text = (id: number, value: string) =>
      protobuf.Writer.create()
        .uint32((id << 3) | 2)
        .string(value)
        .finish();
    const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
    const keyValue = (key: string, anyValue: Uint8Array) => cat(text(1, key), field(2, anyValue));
    const nest = (levels: number) => {
      let v: Uint8Array = text(1, 'leaf');
      for (let i = 0; i < levels; i++) v = field(6, cat(field(1, keyValue('k', v)), field(1, keyValue('s', text(1, 'x')))));
      return v;
    };
    // Array wrappers shift the depths by 2: some scalar KeyValue lands exactly at the limit.
    const body = (levels: number, arrays: number) => {
      let deep = nest(levels);
      for (let i = 0; i < arrays; i++) deep = field(5, field(1, deep));
      const point = cat(field(7, keyValue('deep', deep)), field(7, keyValue('s', text(1, 'x'))));
      const metric = cat(text(1, 'g'), field(5, field(1, point)));
      return field(1, field(2, field(2, metric)));
    };
    let ok = 0;
    let refused = 0;
    for (let arrays = 0; arrays <= 2; arrays++) {
      for (let levels = 20; levels <= 40; levels++) {
        const { ok: decoded, stock, ours } = decodeBoth(body(levels, arrays));
        if (decoded) {
          ok++;
          expect(asObject(ours)).toEqual(asObject(stock));
        } else refused++;
      }
    }
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('keeps 64-bit values exact: numbers below 2^53, Longs above', () => {
    const { ours } = decodeBoth(protobufBody(edgeRequest()));
    const points = ours.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints;
    expect(points.map((p: any) => (typeof p.asInt === 'number' ? `n${p.asInt}` : `L${p.asInt.toString()}`))).toEqual([
      'n0',
      'n-1',
      'n9007199254740991',
      'L9007199254740992',
      'n-9007199254740992',
      'L-9007199254740993',
      'L9223372036854775807',
      'L-9223372036854775808',
    ]);
    const h = ours.resourceMetrics[0].scopeMetrics[0].metrics[1].histogram.dataPoints[0];
    expect(h.bucketCounts[1]).toBe(1);
    expect(h.count.toString()).toBe('9007199254740993');
    expect(typeof h.count).toBe('object');
  });

  it('never carries a timestamp over to a point with another time (Long reuse)', () => {
    const pool = ['1700000000000000000', '1700000000000000001', '1700000010123456789', '1800000000000000000', '4294967296000000000', '0', '5'];
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const expected: { start: string; time: string }[] = [];
      const dataPoints = Array.from({ length: 40 }, (_, i) => {
        const start = r.pick(pool);
        const time = r.pick(pool);
        expected.push({ start, time });
        return { startTimeUnixNano: start, timeUnixNano: time, asDouble: i, attributes: [kv('i', { stringValue: String(i) })] };
      });
      const body = protobufBody(request([gauge('g', dataPoints)]));
      const { ours } = decodeBoth(body);
      const decodedPoints = ours.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints;
      decodedPoints.forEach((p: any, i: number) => {
        expect(String(p.startTimeUnixNano ?? 0)).toBe(expected[i].start);
        expect(String(p.timeUnixNano ?? 0)).toBe(expected[i].time);
        if (typeof p.timeUnixNano === 'object') expect(Object.isFrozen(p.timeUnixNano)).toBe(true);
      });
      const converted = new Converter(NOW).convert(ours).resourceMetrics[0].scopeMetrics[0].metrics[0].dataPoints;
      converted.forEach((p, i) => {
        const end = expected[i].time === '0' ? NOW : hr(expected[i].time);
        expect(p.endTime).toEqual(end);
        expect(p.startTime).toEqual(expected[i].start === '0' ? NOW : hr(expected[i].start));
      });
    }
  });

  it('returns the same Long for a repeated timestamp only while it is one of the last two read', () => {
    const writer = protobuf.Writer.create();
    const [a, b, c, d] = ['1700000000000000000', '1700000010000000000', '1800000000000000000', '1900000000000000000'];
    const values = [a, b, a, c, d, a, d];
    for (const v of values) writer.fixed64(v);
    const reader = new OtlpReader(Buffer.from(writer.finish()));
    const read = values.map(() => reader.fixed64());
    expect(read.map(String)).toEqual(values);
    expect(read[2]).toBe(read[0]);
    expect(read[5]).not.toBe(read[0]); // two other values read in between: read afresh
    expect(read[6]).toBe(read[4]);
    expect(() => (read[0] as any).low++).toThrow(TypeError);
    expect(String(read[0])).toBe(values[0]);
  });
});

describe('StringCache', () => {
  const bytes = (s: string) => Buffer.from(s);
  const get = (cache: StringCache, b: Buffer) => cache.get(b as never, new DataView(b.buffer, b.byteOffset, b.byteLength), 0, b.length);

  it('returns the right string when every string lands in the same slot', () => {
    const cache = new StringCache(1);
    const words = ['http.route', '/api/r1', '/api/r2', 'GET', 'GET', '/api/r1', 'ü€😀', ''];
    for (let round = 0; round < 3; round++) for (const w of words) expect(get(cache, bytes(w))).toBe(w);
    expect(cache.size).toBe(1);
    expect(cache.hits).toBeGreaterThan(0);
  });

  it('tells apart strings whose hash is equal (byte comparison)', () => {
    // Same length and same first, middle and last four bytes: the same slot in any table.
    const a = 'abcdXefghYijkl';
    const b = 'abcdZefghWijkl';
    const cache = new StringCache();
    expect([get(cache, bytes(a)), get(cache, bytes(b)), get(cache, bytes(a)), get(cache, bytes(a))]).toEqual([a, b, a, a]);
    expect(cache.misses).toBe(3);
    expect(cache.hits).toBe(1);
  });

  it('caches invalid UTF-8 as what decoding it gives', () => {
    const cache = new StringCache();
    const invalid = Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82]);
    const replacement = Buffer.from('a\ufffd\ufffd(\ufffd');
    expect(get(cache, invalid)).toBe(invalid.toString('utf8'));
    expect(get(cache, invalid)).toBe(invalid.toString('utf8'));
    expect(get(cache, replacement)).toBe(replacement.toString('utf8'));
    expect(cache.hits).toBe(1);
    for (const s of ['ü', '€uro', '😀 face', '日本語のラベル']) expect(get(cache, bytes(s))).toBe(s);
  });

  it(`lets strings longer than ${MAX_INTERNED_BYTES} bytes bypass it`, () => {
    const cache = new StringCache();
    const long = 'x'.repeat(MAX_INTERNED_BYTES + 1);
    expect(get(cache, bytes(long))).toBe(long);
    expect(get(cache, bytes(long))).toBe(long);
    expect(cache.hits + cache.misses).toBe(0);
    expect(cache.size).toBe(0);
    const longest = 'y'.repeat(MAX_INTERNED_BYTES);
    get(cache, bytes(longest));
    expect(get(cache, bytes(longest))).toBe(longest);
    expect(cache.hits).toBe(1);
  });

  it('stays bounded on any number of distinct strings, and decodes them right', () => {
    const cache = new StringCache(64);
    for (let i = 0; i < 100_000; i++) {
      const s = `v${i}`;
      expect(get(cache, bytes(s))).toBe(s);
    }
    expect(cache.size).toBeLessThanOrEqual(64);
    // Through the decoder: 20,000 distinct attribute values in one body.
    const decoder = new StringCache(256);
    const dataPoints = Array.from({ length: 20_000 }, (_, i) => ({ asDouble: i, timeUnixNano: '5', attributes: [kv('id', { stringValue: `id-${i}` })] }));
    const decoded: any = ExportRequest.decode(new OtlpReader(protobufBody(request([gauge('g', dataPoints)])), decoder));
    const values = decoded.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints.map((p: any) => p.attributes[0].value.stringValue);
    expect(values).toEqual(dataPoints.map((_, i) => `id-${i}`));
    expect(decoder.size).toBeLessThanOrEqual(256);
    expect(() => new StringCache(3)).toThrow(RangeError);
  });
});

describe('attribute cache', () => {
  const points = () => [
    { asDouble: 1, attributes: [kv('route', { stringValue: '/a' }), kv('method', { stringValue: 'GET' })] },
    { asDouble: 2, attributes: [kv('route', { stringValue: '/b' }), kv('method', { stringValue: 'GET' })] },
    { asDouble: 3, attributes: [kv('method', { stringValue: 'GET' }), kv('route', { stringValue: '/a' })] },
    { asDouble: 4, attributes: [kv('route', { stringValue: '/a' })] },
    { asDouble: 5, attributes: [kv('route', { stringValue: '' }), kv('unset', {}), kv('n', { intValue: '7' })] },
    { asDouble: 6, attributes: [kv('route', { stringValue: '/a' }), kv('n', { intValue: '7' })] },
    { asDouble: 7, attributes: [] },
  ];
  const expected = [
    { route: '/a', method: 'GET' },
    { route: '/b', method: 'GET' },
    { method: 'GET', route: '/a' },
    { route: '/a' },
    { route: '', n: 7 },
    { route: '/a', n: 7 },
    {},
  ];

  it.each([
    ['protobuf', PB],
    ['JSON', JSON_TYPE],
  ])('gives each point its own values and shares only frozen objects (%s)', async (_name, contentType) => {
    const ring = new CaptureRing();
    const receiver = new OtlpMetricsReceiver({ ring });
    const req = request([gauge('one', points()), gauge('two', points())], [kv('service.name', { stringValue: 'svc' })]);
    const body = contentType === PB ? protobufBody(req) : jsonBody(req);
    const outcome = await receiver.export(body, { contentType });
    expect(outcome.status).toBe(200);
    const [one, two] = ring.received[0].scopeMetrics[0].metrics;
    expect(one.dataPoints.map(p => p.attributes)).toEqual(expected);
    expect(two.dataPoints.map(p => p.attributes)).toEqual(expected);
    expect(ring.received[0].resource.attributes).toEqual({ 'service.name': 'svc' });
    for (let i = 0; i < expected.length; i++) {
      const a = one.dataPoints[i].attributes;
      const b = two.dataPoints[i].attributes;
      // A shared object is frozen: no consumer can change another point's attributes.
      if (a === b) {
        expect(Object.isFrozen(a)).toBe(true);
        expect(() => {
          (a as Record<string, unknown>).route = 'changed';
        }).toThrow(TypeError);
      }
      expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    }
    // String-only lists (the common case) are converted once per request.
    expect(one.dataPoints[0].attributes).toBe(two.dataPoints[0].attributes);
    expect(one.dataPoints[0].attributes).not.toBe(one.dataPoints[2].attributes);
    // A second request gets its own objects.
    await receiver.export(body, { contentType });
    expect(ring.received[1].scopeMetrics[0].metrics[0].dataPoints[0].attributes).not.toBe(one.dataPoints[0].attributes);
    expect(ring.received[1].scopeMetrics[0].metrics[0].dataPoints.map(p => p.attributes)).toEqual(expected);
  });

  it('converts correctly past its node limit', () => {
    const cache = new AttributeCache(3);
    const lists = Array.from({ length: 50 }, (_, i) => [kv('a', { stringValue: `x${i % 7}` }), kv('b', { stringValue: `y${i % 5}` })]);
    for (let round = 0; round < 2; round++) {
      for (const [i, list] of lists.entries()) expect(cache.get(list)).toEqual({ a: `x${i % 7}`, b: `y${i % 5}` });
    }
    expect(cache.get([kv('__proto__', { stringValue: 'x' }), kv('k', { stringValue: 'v' })])).toEqual({ k: 'v' });
  });
});

describe('histogram bounds', () => {
  it.each([
    ['protobuf', PB],
    ['JSON', JSON_TYPE],
  ])('are shared (frozen) between points with equal bounds and validated for each new list (%s)', async (_name, contentType) => {
    const ring = new CaptureRing();
    const receiver = new OtlpMetricsReceiver({ ring });
    const point = (explicitBounds: number[], bucketCounts: string[]) => ({
      timeUnixNano: '5',
      count: String(bucketCounts.reduce((a, b) => a + Number(b), 0)),
      explicitBounds,
      bucketCounts,
    });
    const dataPoints = [
      point([1, 5], ['1', '2', '3']),
      point([1, 5], ['0', '0', '1']),
      point([1, 2, 5], ['1', '1', '1', '1']),
      point([5, 1], ['1', '1', '1']),
      point([1, 5], ['2', '0', '0']),
    ];
    const req = request([{ name: 'h', histogram: { aggregationTemporality: 2, dataPoints } }]);
    const outcome = await receiver.export(contentType === PB ? protobufBody(req) : jsonBody(req), { contentType });
    expect(outcome.rejected).toBe(1);
    expect(outcome.message).toMatch(/explicit bounds are not strictly increasing/);
    const points = ring.received[0].scopeMetrics[0].metrics[0].dataPoints.map(p => p.value as { buckets: { boundaries: number[]; counts: number[] } });
    expect(points.map(v => v.buckets.boundaries)).toEqual([
      [1, 5],
      [1, 5],
      [1, 2, 5],
      [1, 5],
    ]);
    expect(points.map(v => v.buckets.counts)).toEqual([
      [1, 2, 3],
      [0, 0, 1],
      [1, 1, 1, 1],
      [2, 0, 0],
    ]);
    expect(points[1].buckets.boundaries).toBe(points[0].buckets.boundaries);
    expect(points[2].buckets.boundaries).not.toBe(points[0].buckets.boundaries);
    expect(Object.isFrozen(points[0].buckets.boundaries)).toBe(true);
    expect(() => {
      points[0].buckets.boundaries[0] = 2;
    }).toThrow(TypeError);
  });
});
