import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RingBufferReader, RingConfigError } from '../src/index.js';
import { T0, explicit, metric, resourceMetrics } from './helpers.js';

afterEach(() => vi.restoreAllMocks());

const ringAt = (now: { t: number }, options = {}) => new RingBufferReader({ now: () => now.t, ...options });

describe('ingest()', () => {
  it('stores cumulative counters as they come and delta counters as running totals', () => {
    const now = { t: T0 };
    const ring = ringAt(now);
    for (let i = 1; i <= 5; i++) {
      ring.ingest(
        resourceMetrics([
          metric('cum', 'counter', [{ t: T0 + i * 1000, value: i * 10 }]),
          metric('del', 'counter', [{ t: T0 + i * 1000, value: 10 }], { temporality: 'delta' }),
        ]),
      );
    }
    const [cum] = ring.read('cum');
    const [del] = ring.read('del');
    expect(cum.values).toEqual([10, 20, 30, 40, 50]);
    expect(del.values).toEqual([10, 20, 30, 40, 50]);
    expect(cum.times).toEqual([1, 2, 3, 4, 5].map(i => T0 + i * 1000));
  });

  it('makes resource dimensions series labels, and keeps two resources apart', () => {
    const now = { t: T0 };
    const ring = ringAt(now);
    const m = (v: number) => metric('jobs', 'counter', [{ t: T0 + 1000, value: v, attrs: { queue: 'a' } }]);
    ring.ingest(resourceMetrics([m(1)], { 'service.name': 'api', 'service.instance.id': 'i-1', 'host.name': 'h1' }));
    ring.ingest(resourceMetrics([m(2)], { 'service.name': 'api', 'service.instance.id': 'i-2', 'host.name': 'h1' }));
    const series = ring.series('jobs');
    expect(series.map(s => s.labels)).toEqual([
      { 'service.name': 'api', 'service.instance.id': 'i-1', queue: 'a' },
      { 'service.name': 'api', 'service.instance.id': 'i-2', queue: 'a' },
    ]);
    const sum = ring.query('sum by (service.instance.id) (jobs)', { time: T0 + 1000 });
    expect(sum.samples.map(s => [s.labels['service.instance.id'], s.value])).toEqual([
      ['i-1', 1],
      ['i-2', 2],
    ]);
  });

  it('finds a series whatever order its attributes come in', () => {
    const now = { t: T0 };
    const ring = ringAt(now);
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: T0 + 1000, value: 1, attrs: { a: '1', b: '2' } }])]));
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: T0 + 2000, value: 2, attrs: { b: '2', a: '1' } }])]));
    expect(ring.series('c')).toHaveLength(1);
    expect(ring.read('c')[0].values).toEqual([1, 2]);
  });

  it('keeps one series per attribute set over every key order, first seen unsorted or sorted, clean or not, over many seeds', () => {
    const perms = (keys: string[]): string[][] =>
      keys.length <= 1 ? [keys] : keys.flatMap((k, i) => perms([...keys.slice(0, i), ...keys.slice(i + 1)]).map(p => [k, ...p]));
    for (let seed = 1; seed <= 30; seed++) {
      const now = { t: T0 };
      const ring = ringAt(now);
      let s = seed;
      const next = () => {
        s = (s * 1103515245 + 12345) % 2147483648;
        return s / 2147483648;
      };
      const orders = perms(['z', 'a', 'm']);
      const sets = Array.from({ length: 6 }, (_, i) => ({ z: `z${i % 2}`, a: `a${i % 3}`, m: i }));
      const want = new Map<string, number>();
      for (let step = 1; step <= 40; step++) {
        const points = sets.map((set, i) => {
          const order = orders[Math.floor(next() * orders.length)];
          const attrs: Record<string, unknown> = {};
          for (const k of order) attrs[k] = set[k as keyof typeof set];
          // Now and then a set that needs cleaning (an undefined value is dropped): the same series.
          if (next() < 0.1) attrs.dropped = undefined;
          want.set(String(i), step * (i + 1));
          return { t: T0 + step * 1000, value: step * (i + 1), attrs: attrs as never };
        });
        ring.ingest(resourceMetrics([metric('c', 'counter', points)]));
      }
      const series = ring.series('c');
      expect(series, `seed ${seed}`).toHaveLength(sets.length);
      for (const row of ring.read('c')) {
        expect(row.values, `seed ${seed} ${JSON.stringify(row.labels)}`).toHaveLength(40);
        expect(row.values[39]).toBe(want.get(String(row.labels.m)));
      }
    }
  });

  it('replaces a point ingested twice at the same time; drops an older one with a warning', () => {
    const now = { t: T0 };
    const ring = ringAt(now);
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    ring.ingest(resourceMetrics([metric('g', 'gauge', [{ t: T0 + 2000, value: 1 }])]));
    ring.ingest(resourceMetrics([metric('g', 'gauge', [{ t: T0 + 2000, value: 5 }])]));
    const r = ring.ingest(resourceMetrics([metric('g', 'gauge', [{ t: T0 + 1000, value: 9 }])]));
    expect(r).toEqual({ points: 0, dropped: 1, overflowed: 0 });
    expect(ring.read('g')[0].values).toEqual([5]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('older than the series'));
  });

  it('never throws on malformed input; drops what it cannot use and counts it', () => {
    const now = { t: T0 };
    const ring = ringAt(now);
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const bad: unknown[] = [
      null,
      undefined,
      42,
      'x',
      {},
      { scopeMetrics: null },
      { scopeMetrics: [null, 1, { metrics: 'no' }] },
      resourceMetrics([null, {}, { descriptor: {} }, { descriptor: { name: 'x' }, dataPoints: 'no' }]),
      resourceMetrics([{ ...metric('k', 'counter', []), dataPointType: 99, dataPoints: [{}] }]),
      resourceMetrics([
        metric('v', 'counter', [
          { t: T0, value: 'NaN' },
          { t: Number.NaN, value: 1 },
          { t: T0, value: Number.NaN },
        ]),
      ]),
      resourceMetrics([
        metric('h', 'histogram', [
          { t: T0, value: null },
          { t: T0 + 1, value: { count: 1 } },
          { t: T0 + 2, value: explicit([1], [1, 0]) },
        ]),
      ]),
      resourceMetrics([
        metric('e', 'exponential_histogram', [
          { t: T0, value: { count: 1, scale: 0.5 } },
          { t: T0 + 1, value: { count: -1, scale: 0 } },
        ]),
      ]),
      resourceMetrics([metric('a', 'gauge', [{ t: T0, value: 1, attrs: { ok: 'x', bad: undefined as unknown as string, obj: {} as unknown as string } }])]),
    ];
    for (const input of bad) expect(() => ring.ingest(input)).not.toThrow();
    expect(ring.stats().droppedPoints).toBeGreaterThanOrEqual(7);
    // The valid parts made it in.
    expect(ring.read('a')[0].labels).toEqual({ 'service.name': 'svc', ok: 'x' });
    expect(ring.series('h')).toHaveLength(1);
  });

  it('sends series past the cardinality limit to the overflow series, summing them, and keeps totals', () => {
    const now = { t: T0 };
    const ring = ringAt(now, { cardinalityLimit: 3 });
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    for (let i = 1; i <= 3; i++) {
      const pts = Array.from({ length: 10 }, (_, k) => ({ t: T0 + i * 1000, value: i * (k + 1), attrs: { id: String(k) } }));
      ring.ingest(resourceMetrics([metric('c', 'counter', pts)]));
    }
    const series = ring.series('c');
    expect(series).toHaveLength(4);
    const overflow = series.find(s => s.overflow);
    expect(overflow?.labels['otel.metric.overflow']).toBe('true');
    const [row] = ring.read('c{otel.metric.overflow="true"}');
    // ids 3..9 overflow: sum over k=3..9 of i*(k+1) = 49 i.
    expect(row.values).toEqual([49, 98, 147]);
    const total = ring.query('sum(c)', { time: T0 + 3000 }).samples[0].value;
    expect(total).toBe(3 * 55);
  });

  it("merges the producer's own overflow series into the ring's, under the same labels", () => {
    const now = { t: T0 };
    const ring = ringAt(now, { cardinalityLimit: 2 });
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const pts = (t: number, v: number) => [
      { t, value: v, attrs: { k: 'a' } },
      { t, value: v, attrs: { 'otel.metric.overflow': true } },
      { t, value: v, attrs: { k: 'b' } },
      { t, value: v, attrs: { k: 'c' } },
    ];
    ring.ingest(resourceMetrics([metric('c', 'counter', pts(T0 + 1000, 1))]));
    ring.ingest(resourceMetrics([metric('c', 'counter', pts(T0 + 2000, 2))]));
    const overflow = ring.series('c').filter(s => s.labels['otel.metric.overflow'] !== undefined);
    expect(overflow).toHaveLength(1);
    // The producer's overflow point and k=c (past the limit of 2) add up.
    expect(ring.read('c{otel.metric.overflow="true"}')[0].values).toEqual([2, 4]);
    expect(
      ring
        .series('c')
        .filter(s => !s.overflow)
        .map(s => s.labels.k),
    ).toEqual(['a', 'b']);
  });

  it('bounds all series together by maxSeries, and metrics by maxMetrics', () => {
    const now = { t: T0 };
    const ring = ringAt(now, { maxSeries: 5, maxMetrics: 2 });
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const pts = Array.from({ length: 4 }, (_, k) => ({ t: T0 + 1000, value: 1, attrs: { k: String(k) } }));
    ring.ingest(resourceMetrics([metric('a', 'gauge', pts), metric('b', 'gauge', pts), metric('c', 'gauge', pts)]));
    expect(ring.metrics().map(m => m.name)).toEqual(['a', 'b']);
    expect(ring.series().filter(s => !s.overflow)).toHaveLength(5);
    expect(ring.series().filter(s => s.overflow)).toHaveLength(1);
  });

  it('reclaims a series not seen for a whole ring, and its slot serves a new series', () => {
    const now = { t: T0 };
    const ring = ringAt(now, { slots: 10, intervalMillis: 1000 });
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: now.t, value: 1, attrs: { k: 'old' } }])]));
    for (let i = 1; i <= 12; i++) {
      now.t = T0 + i * 1000;
      ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: now.t, value: i, attrs: { k: 'new' } }])]));
    }
    expect(ring.series('c').map(s => s.labels.k)).toEqual(['new']);
    expect(ring.stats().reclaimedSeries).toBe(1);
    // Coming back later is a new series.
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: now.t + 1000, value: 7, attrs: { k: 'old' } }])]));
    expect(ring.read('c{k="old"}')[0].values).toEqual([7]);
  });

  it('drops the points of a metric that changes kind, with a warning', () => {
    const now = { t: T0 };
    const ring = ringAt(now);
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    ring.ingest(resourceMetrics([metric('x', 'gauge', [{ t: T0, value: 1 }])]));
    const r = ring.ingest(resourceMetrics([metric('x', 'counter', [{ t: T0 + 1000, value: 1 }])]));
    expect(r.dropped).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('arrived as counter but is held as gauge'));
  });

  it('stamps points with options.time when given', () => {
    const now = { t: T0 };
    const ring = ringAt(now);
    ring.ingest(resourceMetrics([metric('g', 'gauge', [{ t: 5, value: 1 }])]), { time: T0 + 123 });
    expect(ring.read('g')[0].times).toEqual([T0 + 123]);
  });

  it('rejects invalid options with RingConfigError and a stable code', () => {
    for (const bad of [
      { slots: 1 },
      { slots: 1.5 },
      { intervalMillis: 0 },
      { maxSeries: -1 },
      { compression: 'yes' },
      { resourceDimensions: 'x' },
      { now: 5 },
    ]) {
      expect(() => new RingBufferReader(bad as never)).toThrow(RingConfigError);
    }
    try {
      new RingBufferReader({ slots: 0 });
    } catch (err) {
      expect((err as RingConfigError).code).toBe('FASTMETER_RING_INVALID_OPTION');
    }
  });

  it('accepts explicit and exponential histograms, cumulative and delta', () => {
    const now = { t: T0 };
    const ring = ringAt(now);
    for (let i = 1; i <= 3; i++) {
      const t = T0 + i * 1000;
      ring.ingest(
        resourceMetrics([
          metric('h', 'histogram', [{ t, value: explicit([1, 10], [i, 2 * i, 0], 5 * i) }]),
          metric('hd', 'histogram', [{ t, value: explicit([1, 10], [1, 2, 0], 5) }], { temporality: 'delta' }),
          metric('e', 'exponential_histogram', [
            {
              t,
              value: {
                count: 3 * i,
                sum: 9 * i,
                scale: 1,
                zeroCount: i,
                positive: { offset: 2, bucketCounts: [i, i] },
                negative: { offset: 0, bucketCounts: [] },
              },
            },
          ]),
        ]),
      );
    }
    const [h] = ring.read('h');
    const [hd] = ring.read('hd');
    expect(h.histograms?.map(x => x.buckets?.counts)).toEqual([
      [1, 2, 0],
      [2, 4, 0],
      [3, 6, 0],
    ]);
    expect(hd.histograms?.map(x => x.buckets?.counts)).toEqual(h.histograms?.map(x => x.buckets?.counts));
    const [e] = ring.read('e');
    expect(e.histograms?.[2]).toMatchObject({ count: 9, scale: 1, zeroCount: 3, positive: { offset: 2, bucketCounts: [3, 3] } });
  });
});
