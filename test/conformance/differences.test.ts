// Each intended difference of DIFFERENCES.md, demonstrated: the test asserts
// what sdk-metrics exports and what fastmeter exports instead. If sdk-metrics
// changes its behaviour, the test tells which paragraph to revisit.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import { AggregationType, InstrumentType, MeterProvider, createAllowListAttributesProcessor } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type World, bothRuns, compareWorlds, useFakeDate } from './harness.js';
import { Approx } from './normalise.js';

useFakeDate({ beforeAll, afterAll });

interface Point {
  attributes: Record<string, unknown>;
  startTime: [number, number];
  value: unknown;
}

/** The points of metric `name` in collection `i` (normalised: sorted by attributes, sums unwrapped). */
function points(w: World, i: number, name: string): Point[] {
  const scopes = w.collections[i].data.scopes as { metrics: { descriptor: { name: string }; dataPoints: Point[] }[] }[];
  const metrics = scopes.flatMap(s => s.metrics).filter(m => m.descriptor.name === name);
  return metrics.flatMap(m => m.dataPoints.map(p => ({ ...p, value: unwrap(p.value) })));
}

function unwrap(value: unknown): unknown {
  if (value instanceof Approx) return value.value;
  if (Array.isArray(value)) return value.map(unwrap);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

const values = (ps: Point[]) => ps.map(p => [p.attributes, p.value]);

/** The major version of the sdk-metrics under test (3.x does not export ./package.json: read it through fs). */
function sdkMetricsMajor(): number {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@opentelemetry/sdk-metrics'));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === '@opentelemetry/sdk-metrics') return Number(pkg.version.split('.')[0]);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('sdk-metrics package.json not found');
    dir = up;
  }
}

describe('DIFFERENCES.md: values and attributes', () => {
  it('1. NaN and ±Infinity are dropped', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      const m = w.meter('m');
      m.createCounter('c').add(Number.NaN);
      m.createCounter('c').add(1);
      m.createHistogram('h').record(Number.POSITIVE_INFINITY);
      m.createGauge('g').record(Number.NEGATIVE_INFINITY);
      m.createObservableGauge('og').addCallback(r => r.observe(Number.NaN));
      w.advance(10);
      await w.collect();
    });
    expect(values(points(sdk, 0, 'c'))).toEqual([[{}, Number.NaN]]);
    expect(values(points(fast, 0, 'c'))).toEqual([[{}, 1]]);
    expect((points(sdk, 0, 'h')[0].value as { sum: number }).sum).toBe(Number.POSITIVE_INFINITY);
    expect(points(fast, 0, 'h')).toEqual([]);
    expect(values(points(sdk, 0, 'g'))).toEqual([[{}, Number.NEGATIVE_INFINITY]]);
    expect(points(fast, 0, 'g')).toEqual([]);
    expect(values(points(sdk, 0, 'og'))).toEqual([[{}, Number.NaN]]);
    expect(points(fast, 0, 'og')).toEqual([]);
  });

  it('2. attributes are copied, not aliased', async () => {
    const exported: Record<string, Attributes[]> = {};
    const { sdk, fast } = await bothRuns({}, async w => {
      const attrs: Attributes = { route: '/a' };
      w.meter('m').createCounter('c').add(1, attrs);
      attrs.route = '/MUTATED';
      w.meter('m')
        .createObservableGauge('per.cpu')
        .addCallback(r => {
          const shared: Attributes = {};
          for (let cpu = 0; cpu < 2; cpu++) {
            shared.cpu = cpu;
            r.observe(cpu, shared);
          }
        });
      w.advance(10);
      const result = await w.collect();
      exported[w.impl] = result.resourceMetrics.scopeMetrics[0].metrics[1].dataPoints.map(p => ({ ...p.attributes }));
    });
    expect(values(points(sdk, 0, 'c'))).toEqual([[{ route: '/MUTATED' }, 1]]);
    expect(values(points(fast, 0, 'c'))).toEqual([[{ route: '/a' }, 1]]);
    expect(exported['sdk-metrics']).toEqual([{ cpu: 1 }, { cpu: 1 }]);
    expect(exported.fastmeter).toEqual([{ cpu: 0 }, { cpu: 1 }]);
  });

  it('3. invalid attributes are cleaned', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      const c = w.meter('m').createCounter('c');
      c.add(1, { a: undefined, b: 1 });
      c.add(2, { a: null as never, b: 1 });
      c.add(4, { b: 1 });
      c.add(8, 'ab' as never);
      c.add(16, { n: Number.NaN });
      c.add(32, { n: null as never });
      w.advance(10);
      await w.collect();
    });
    expect(values(points(sdk, 0, 'c'))).toEqual([
      [{ 0: 'a', 1: 'b' }, 8],
      [{ a: undefined, b: 1 }, 3],
      [{ b: 1 }, 4],
      [{ n: Number.NaN }, 48],
    ]);
    expect(values(points(fast, 0, 'c'))).toEqual([
      [{ b: 1 }, 7],
      [{ n: Number.NaN }, 16],
      [{}, 32],
    ]);
  });

  it('4. attribute limits apply', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      const many: Attributes = {};
      for (let i = 0; i < 130; i++) many[`k${String(i).padStart(3, '0')}`] = i;
      w.meter('m').createCounter('c').add(1, many);
      w.advance(10);
      await w.collect();
    });
    expect(Object.keys(points(sdk, 0, 'c')[0].attributes)).toHaveLength(130);
    expect(Object.keys(points(fast, 0, 'c')[0].attributes)).toHaveLength(128);
  });

  it('4. past the count limit a set keeps its smallest keys, whatever the key order', async () => {
    const keys = Array.from({ length: 130 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    const { sdk, fast } = await bothRuns({}, async w => {
      const c = w.meter('m').createCounter('c');
      c.add(1, Object.fromEntries(keys.map(k => [k, k])));
      c.add(1, Object.fromEntries([...keys].reverse().map(k => [k, k])));
      w.advance(10);
      await w.collect();
    });
    expect(points(sdk, 0, 'c').map(p => p.value)).toEqual([2]);
    expect(points(fast, 0, 'c').map(p => [Object.keys(p.attributes).sort(), p.value])).toEqual([[keys.slice(0, 128), 2]]);
  });

  it('5. nothing throws into the caller', async () => {
    const { sdk, fast } = await bothRuns(
      {
        views: [
          {
            instrumentName: 'processed',
            attributesProcessors: [
              {
                process() {
                  throw new Error('processor');
                },
              },
            ],
          },
        ],
        readers: [
          { aggregation: t => (t === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 2.5 } } : { type: 0 }) },
        ],
      },
      async w => {
        const m = w.meter('m');
        const attempt = (f: () => void) => {
          try {
            f();
            w.note('returned');
          } catch (err) {
            w.note(`threw ${(err as Error).name}: ${(err as Error).message}`);
          }
        };
        attempt(() => m.createCounter('processed').add(1));
        const getter = Object.defineProperty({}, 'x', {
          enumerable: true,
          get() {
            throw new Error('getter');
          },
        });
        attempt(() => m.createCounter('getter').add(1, getter));
        const h = m.createHistogram('h');
        attempt(() => {
          for (const v of [1, 2, 4, 8]) h.record(v);
        });
      },
    );
    expect(sdk.notes).toEqual(['threw Error: processor', 'threw Error: getter', 'threw RangeError: Invalid array length']);
    expect(fast.notes).toEqual(['returned', 'returned', 'returned']);
  });

  it('5. an exponential histogram maxSize of NaN or Infinity is bounded', async () => {
    const exponential = (maxSize: number) => ({
      instrumentName: `h.${maxSize}`,
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize } },
    });
    const { sdk, fast } = await bothRuns({ views: [exponential(Number.NaN), exponential(Number.POSITIVE_INFINITY)] }, async w => {
      for (const name of ['h.NaN', 'h.Infinity']) {
        const h = w.meter('m').createHistogram(name);
        h.record(1);
        h.record(2); // one octave: 2^20 buckets apart at scale 20
      }
      w.advance(10);
      await w.collect();
    });
    const buckets = (w: World, name: string) => (points(w, 0, name)[0].value as { positive: { bucketCounts: number[] } }).positive.bucketCounts.length;
    expect(buckets(sdk, 'h.NaN')).toBeGreaterThan(1_000_000);
    expect(buckets(sdk, 'h.Infinity')).toBeGreaterThan(1_000_000);
    expect(buckets(fast, 'h.NaN')).toBeLessThanOrEqual(160);
    expect(buckets(fast, 'h.Infinity')).toBeLessThanOrEqual(16_384);
  });

  it('5. NaN and non-number histogram boundaries are removed', async () => {
    const { sdk, fast } = await bothRuns(
      { views: [{ instrumentName: 'h', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [10, Number.NaN, 1] } } }] },
      async w => {
        w.meter('m').createHistogram('h').record(5);
        w.meter('m')
          .createHistogram('advised', { advice: { explicitBucketBoundaries: [2, '1' as never, Number.NaN] } })
          .record(1.5);
        w.advance(10);
        await w.collect();
      },
    );
    const boundaries = (w: World) => (points(w, 0, 'h')[0].value as { buckets: { boundaries: number[] } }).buckets.boundaries;
    const advised = (w: World) => (points(w, 0, 'advised')[0].value as { buckets: { boundaries: unknown[] } }).buckets.boundaries;
    expect(boundaries(sdk).some(b => Number.isNaN(b))).toBe(true);
    expect(boundaries(fast)).toEqual([1, 10]);
    expect(advised(sdk)).toContain('1');
    expect(advised(fast)).toEqual([2]);
  });

  it('5. advice that is not an array does not throw', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      try {
        w.meter('m').createHistogram('bad.advice', { advice: { explicitBucketBoundaries: 'x' as never } });
        w.note('returned');
      } catch (err) {
        w.note(`threw ${(err as Error).name}`);
      }
    });
    expect(sdk.notes).toEqual(['threw TypeError']);
    expect(fast.notes).toEqual(['returned']);
  });

  it('6. the sign of zero in min and max', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      const h = w.meter('m').createGauge('g');
      const hist = w.meter('m').createHistogram('h');
      h.record(0);
      hist.record(0);
      hist.record(-0);
      w.advance(10);
      await w.collect();
    });
    expect(Object.is((points(sdk, 0, 'h')[0].value as { min: number }).min, -0)).toBe(true);
    expect(Object.is((points(fast, 0, 'h')[0].value as { min: number }).min, 0)).toBe(true);
    expect(compareWorlds(sdk, fast)).toEqual([]); // the suite treats them as equal
  });
});

describe('DIFFERENCES.md: cardinality', () => {
  async function churn(temporality: 'cumulative' | 'delta') {
    return bothRuns({ readers: [{ temporality, cardinality: () => 3 }] }, async w => {
      const c = w.meter('m').createCounter('c');
      for (const pair of [
        ['a', 'b'],
        ['c', 'd'],
        ['e', 'f'],
      ]) {
        for (const k of pair) c.add(1, { k });
        w.advance(10);
        await w.collect();
      }
    });
  }
  const OVERFLOW = { 'otel.metric.overflow': true };

  it('7. the limit bounds a cumulative stream over its lifetime', async () => {
    const { sdk, fast } = await churn('cumulative');
    expect(values(points(sdk, 2, 'c'))).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map(k => [{ k }, 1]));
    expect(values(points(fast, 2, 'c'))).toEqual([
      [{ k: 'a' }, 1],
      [{ k: 'b' }, 1],
      [OVERFLOW, 4],
    ]);
  });

  it('7. a delta series reported last time still counts in the next interval', async () => {
    const { sdk, fast } = await churn('delta');
    expect(values(points(sdk, 1, 'c'))).toEqual([
      [{ k: 'c' }, 1],
      [{ k: 'd' }, 1],
    ]);
    expect(values(points(fast, 1, 'c'))).toEqual([[OVERFLOW, 2]]);
    // Released after an idle interval: the third interval has room again.
    expect(values(points(fast, 2, 'c'))).toEqual(values(points(sdk, 2, 'c')));
  });

  it("8. with views, the limit falls back to the reader's", async () => {
    const { sdk, fast } = await bothRuns({ views: [{ instrumentName: 'c', description: 'viewed' }], readers: [{ cardinality: () => 2 }] }, async w => {
      const c = w.meter('m').createCounter('c');
      for (const k of ['a', 'b', 'c']) c.add(1, { k });
      w.advance(10);
      await w.collect();
    });
    expect(points(sdk, 0, 'c')).toHaveLength(3);
    expect(values(points(fast, 0, 'c'))).toEqual([
      [{ k: 'a' }, 1],
      [OVERFLOW, 2],
    ]);
  });

  it('9. the intern budget bounds all streams together', async () => {
    const { sdk, fast } = await bothRuns({ fastOptions: { internBudget: 4 } }, async w => {
      const c = w.meter('m').createCounter('c');
      for (let i = 0; i < 10; i++) c.add(1, { i });
      w.advance(10);
      await w.collect();
    });
    expect(points(sdk, 0, 'c')).toHaveLength(10);
    const fastPoints = points(fast, 0, 'c');
    expect(fastPoints.length).toBeLessThan(10);
    expect(fastPoints.some(p => p.attributes['otel.metric.overflow'] === true)).toBe(true);
  });

  it('10. aggregationCardinalityLimit must be a positive integer', () => {
    for (const limit of [Number.NaN, -5, 0, 2.5, '500']) {
      const views = [{ instrumentName: 'c', aggregationCardinalityLimit: limit as number }];
      expect(() => new MeterProvider({ views })).not.toThrow();
      expect(() => new FastMeterProvider({ views })).toThrow(/aggregationCardinalityLimit/);
    }
  });

  it('24. the overflow attributes passed by a caller are the overflow series and take no place', async () => {
    const { sdk, fast } = await bothRuns({ views: [{ instrumentName: 'c', aggregationCardinalityLimit: 3 }] }, async w => {
      const c = w.meter('m').createCounter('c');
      c.add(1, { 'otel.metric.overflow': true });
      c.add(2, { a: 1 });
      c.add(4, { a: 2 });
      c.add(8, { a: 3 });
      w.advance(10);
      await w.collect();
    });
    expect(values(points(sdk, 0, 'c'))).toEqual([
      [{ a: 1 }, 2],
      [{ 'otel.metric.overflow': true }, 13],
    ]);
    expect(values(points(fast, 0, 'c'))).toEqual([
      [{ a: 1 }, 2],
      [{ a: 2 }, 4],
      [{ 'otel.metric.overflow': true }, 9],
    ]);
  });
});

describe('DIFFERENCES.md: views', () => {
  it('11. instrument-name wildcards follow the specification', async () => {
    const { sdk, fast } = await bothRuns(
      {
        views: [
          { instrumentName: 'a*b*c', description: 'abc' },
          { instrumentName: 'q?', description: 'q' },
        ],
      },
      async w => {
        const m = w.meter('m');
        for (const name of ['axbyc', 'axc', 'qz', 'q?']) m.createCounter(name).add(1);
        w.advance(10);
        await w.collect();
      },
    );
    const descriptions = (w: World) =>
      Object.fromEntries(
        (w.collections[0].data.scopes as { metrics: { descriptor: { name: string; description: string } }[] }[])[0].metrics.map(m => [
          m.descriptor.name,
          m.descriptor.description,
        ]),
      );
    expect(descriptions(sdk)).toEqual({ axbyc: 'abc', axc: 'abc', qz: '', 'q?': 'q' });
    expect(descriptions(fast)).toEqual({ axbyc: 'abc', axc: '', qz: 'q', 'q?': 'q' });
  });

  it('12. two views giving an instrument the same stream record it once', async () => {
    const { sdk, fast } = await bothRuns(
      {
        views: [
          { instrumentName: 'c', attributesProcessors: [createAllowListAttributesProcessor(['a'])] },
          { instrumentName: 'c', aggregation: { type: AggregationType.SUM } },
        ],
      },
      async w => {
        w.meter('m').createCounter('c').add(1, { a: 1, b: 2 });
        w.advance(10);
        await w.collect();
      },
    );
    expect(values(points(sdk, 0, 'c'))).toEqual([[{ a: 1 }, 2]]);
    expect(values(points(fast, 0, 'c'))).toEqual([[{ a: 1 }, 1]]);
  });

  it('13. a stream named like a dropped view stream is exported', async () => {
    const { sdk, fast } = await bothRuns(
      {
        views: [
          { instrumentName: 'dropped', aggregation: { type: AggregationType.DROP } },
          { instrumentName: 'renamed', name: 'dropped' },
        ],
      },
      async w => {
        const m = w.meter('m');
        m.createCounter('dropped').add(1);
        m.createCounter('renamed').add(2);
        w.advance(10);
        await w.collect();
      },
    );
    expect(points(sdk, 0, 'dropped')).toEqual([]);
    expect(values(points(fast, 0, 'dropped'))).toEqual([[{}, 2]]);
  });
});

describe('DIFFERENCES.md: observable instruments', () => {
  it('14. a histogram on an observable instrument holds the current observation', async () => {
    for (const temporality of ['cumulative', 'delta'] as const) {
      const { sdk, fast } = await bothRuns(
        {
          readers: [{ temporality }],
          views: [{ instrumentName: 'c', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [10] } } }],
        },
        async w => {
          let v = 5;
          w.meter('m')
            .createObservableCounter('c')
            .addCallback(r => r.observe(v));
          for (const x of [5, 20]) {
            v = x;
            w.advance(10);
            await w.collect();
          }
        },
      );
      expect(points(fast, 1, 'c')[0].value, temporality).toMatchObject({ count: 1, min: 20, max: 20, sum: 20, buckets: { counts: [0, 1] } });
      expect(points(sdk, 1, 'c')[0].value, temporality).toMatchObject(
        temporality === 'cumulative' ? { count: 1, min: 5, max: 5, sum: 20, buckets: { counts: [0, 1] } } : { count: 0, sum: 15, buckets: { counts: [-1, 1] } },
      );
    }
  });

  it('15. a negative ObservableCounter total is dropped', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      let total = 10;
      w.meter('m')
        .createObservableCounter('c')
        .addCallback(r => r.observe(total));
      for (const t of [10, -5]) {
        total = t;
        w.advance(10);
        await w.collect();
      }
    });
    expect(values(points(sdk, 1, 'c'))).toEqual([[{}, 0]]);
    expect(values(points(fast, 1, 'c'))).toEqual([[{}, 10]]);
  });

  it('16. an ObservableCounter reset is not lost (two readers)', async () => {
    const { sdk, fast } = await bothRuns({ readers: [{}, {}] }, async w => {
      let total = 0;
      w.meter('m')
        .createObservableCounter('c')
        .addCallback(r => r.observe(total));
      for (const t of [6, 2]) {
        total = t;
        w.advance(10);
        await w.collectAll();
      }
    });
    // The second reader's last collection: the total went from 6 to 2.
    expect(values(points(sdk, 3, 'c'))).toEqual([[{}, 8]]);
    expect(values(points(fast, 3, 'c'))).toEqual([[{}, 2]]);
  });

  it('16. an ObservableCounter reset is not lost (two callbacks on one series)', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      const c = w.meter('m').createObservableCounter('c');
      c.addCallback(r => r.observe(10));
      c.addCallback(r => r.observe(5));
      c.addCallback(r => r.observe(7));
      for (let i = 0; i < 2; i++) {
        w.advance(10);
        await w.collect();
      }
    });
    expect(values(points(sdk, 1, 'c'))).toEqual([[{}, 14]]);
    expect(values(points(fast, 1, 'c'))).toEqual([[{}, 7]]);
  });

  it('17. one raw set observed twice in a callback and merged by a view', async () => {
    const { sdk, fast } = await bothRuns({ views: [{ instrumentName: 'g', attributesProcessors: [createAllowListAttributesProcessor([])] }] }, async w => {
      w.meter('m')
        .createObservableGauge('g')
        .addCallback(r => {
          r.observe(1, { a: 1 });
          r.observe(2, { a: 2 });
          r.observe(3, { a: 1 });
        });
      w.advance(10);
      await w.collect();
    });
    expect(values(points(sdk, 0, 'g'))).toEqual([[{}, 2]]);
    expect(values(points(fast, 0, 'g'))).toEqual([[{}, 3]]);
  });
});

describe('DIFFERENCES.md: temporality and aggregation details', () => {
  it('18. delta start times do not leak between readers of a view stream', async () => {
    const { sdk, fast } = await bothRuns(
      { views: [{ instrumentName: 'g', description: 'viewed' }], readers: [{ temporality: 'delta' }, { temporality: 'delta' }] },
      async w => {
        const g = w.meter('m').createGauge('g');
        g.record(1);
        w.advance(10);
        await w.collect(0);
        await w.collect(1);
        w.advance(10);
        await w.collect(0); // reader 0: nothing new
        g.record(2);
        await w.collect(1); // reader 1 reports the new value and sets its start time on the shared accumulation
        w.advance(10);
        await w.collect(0);
      },
    );
    // Reader 0's point: first measured at T0+20 (after its previous collection, which exported nothing).
    expect(points(fast, 4, 'g')[0].startTime).toEqual([1700000000, 143000000]);
    expect(points(sdk, 4, 'g')[0].startTime).toEqual([1700000000, 133000000]);
  });

  it('19. exponential histograms keep the finest scale', async () => {
    const { sdk, fast } = await bothRuns(
      { readers: [{ aggregation: () => ({ type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 6 } }) }] },
      async w => {
        const h = w.meter('m').createHistogram('h');
        h.record(0);
        w.advance(10);
        await w.collect();
        h.record(9965);
        w.advance(10);
        await w.collect();
      },
    );
    expect((points(sdk, 1, 'h')[0].value as { scale: number }).scale).toBe(-2);
    expect((points(fast, 1, 'h')[0].value as { scale: number }).scale).toBe(20);
    expect(compareWorlds(sdk, fast)).toEqual([]); // equal at the coarser scale
  });

  it('20. double sums may differ in the last bits', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      const c = w.meter('m').createCounter('c');
      c.add(1e16);
      c.add(1);
      w.advance(10);
      await w.collect();
      c.add(1);
      c.add(1);
      w.advance(10);
      await w.collect();
    });
    expect(values(points(sdk, 1, 'c'))).toEqual([[{}, 1e16 + 2]]);
    expect(values(points(fast, 1, 'c'))).toEqual([[{}, 1e16]]);
    expect(compareWorlds(sdk, fast)).toEqual([]); // within the relative tolerance
  });

  it('21. data point order within a metric', async () => {
    const order: Record<string, unknown[]> = {};
    const { sdk, fast } = await bothRuns({ readers: [{ temporality: 'delta' }] }, async w => {
      const c = w.meter('m').createCounter('c');
      c.add(1, { k: 'a' });
      c.add(1, { k: 'b' });
      w.advance(10);
      await w.collect();
      c.add(1, { k: 'b' });
      c.add(1, { k: 'a' });
      w.advance(10);
      const result = await w.collect();
      order[w.impl] = result.resourceMetrics.scopeMetrics[0].metrics[0].dataPoints.map(p => p.attributes.k);
    });
    expect(order['sdk-metrics']).toEqual(['b', 'a']);
    expect(order.fastmeter).toEqual(['a', 'b']);
    expect(compareWorlds(sdk, fast)).toEqual([]); // points are compared sorted
  });

  it('22. meter names that are not strings', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      w.meter(undefined as never)
        .createCounter('c')
        .add(1);
      w.advance(10);
      await w.collect();
    });
    const scopeName = (w: World) => ((w.collections[0].data.scopes as { scope: { name?: string } }[])[0].scope as { name?: string }).name;
    // sdk-metrics 3.x does what fastmeter does; 2.x keeps the name as given.
    expect(scopeName(sdk)).toBe(sdkMetricsMajor() >= 3 ? '' : undefined);
    expect(scopeName(fast)).toBe('');
  });

  it('23. key order of exported attributes when one key set is used in several orders', async () => {
    const keyOrders: Record<string, string[][]> = {};
    const { sdk, fast } = await bothRuns({}, async w => {
      const c = w.meter('m').createCounter('c');
      c.add(1, { a: 1, b: 1 });
      c.add(1, { b: 2, a: 2 }); // a new series of the same key set, keys in the other order
      w.advance(10);
      const result = await w.collect();
      keyOrders[w.impl] = result.resourceMetrics.scopeMetrics[0].metrics[0].dataPoints.map(p => Object.keys(p.attributes));
    });
    expect(keyOrders['sdk-metrics']).toEqual([
      ['a', 'b'],
      ['b', 'a'],
    ]);
    expect(keyOrders.fastmeter).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(compareWorlds(sdk, fast)).toEqual([]); // same sets and values
  });
});

describe('DIFFERENCES.md: self-observability', () => {
  it('25. with sdkMetricsEnabled, every reader exports every reader’s collection duration', async () => {
    const { sdk, fast } = await bothRuns({ sdkMetricsEnabled: true, readers: [{}, {}] }, async w => {
      for (let i = 0; i < 2; i++) {
        w.advance(10);
        await w.collectAll();
      }
    });
    const readersSeen = (w: World, i: number) => points(w, i, 'otel.sdk.metric_reader.collection.duration').length;
    // Collections 2 and 3: reader 0 and reader 1, after both collected once.
    expect([readersSeen(sdk, 2), readersSeen(sdk, 3)]).toEqual([2, 1]);
    expect([readersSeen(fast, 2), readersSeen(fast, 3)]).toEqual([2, 2]);
  });
});
