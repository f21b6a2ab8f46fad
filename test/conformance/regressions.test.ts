// One test per fastmeter bug this suite found, named after the bug. Each runs
// the smallest scenario that showed it against both SDKs.
import type { Attributes } from '@opentelemetry/api';
import { AggregationType, InstrumentType, createAllowListAttributesProcessor } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type World, bothRuns, expectConformance, runOn, useFakeDate } from './harness.js';

/** The data points of the only metric of the first scope of a collection: [attributes, value, startTime] */
function points(w: World, collection: number): unknown[] {
  const scopes = w.collections[collection].data.scopes as { metrics: { dataPoints: { attributes: unknown; value: unknown; startTime: unknown }[] }[] }[];
  if (scopes.length === 0) return [];
  return scopes[0].metrics[0].dataPoints.map(p => [p.attributes, (p.value as { value?: number })?.value ?? p.value, p.startTime]);
}

useFakeDate({ beforeAll, afterAll });

describe('regressions', () => {
  it('a compatible duplicate histogram with different advice was exported as a second stream', async () => {
    // Advice is not part of an instrument's identity: the duplicate shares the
    // first registration's stream (and its bucket boundaries) for every reader.
    await expectConformance(
      {
        readers: [
          { temporality: 'cumulative' },
          { temporality: 'delta', aggregation: t => (t === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM } : { type: 0 }) },
        ],
      },
      async (w: World) => {
        const m = w.meter('advice');
        const first = m.createHistogram('latency', { advice: { explicitBucketBoundaries: [1, 2, 3] } });
        const second = m.createHistogram('latency');
        first.record(1.5);
        second.record(2.5);
        w.advance(10);
        await w.collectAll();
      },
    );
  });

  it('duplicate observations of one series in one callback looked like a counter reset', async () => {
    // The last observation wins (sdk-metrics' buffer); applying 10 then 5 made the total "go down".
    await expectConformance({ readers: [{ temporality: 'cumulative' }, { temporality: 'delta' }] }, async (w: World) => {
      let tick = 0;
      w.meter('dup')
        .createObservableCounter('c')
        .addCallback(r => {
          r.observe(10 + tick, { a: 1 });
          r.observe(5 + tick, { a: 1 });
          r.observe(7 + tick, { b: 1 });
        });
      for (let i = 0; i < 3; i++) {
        tick = i;
        w.advance(10);
        await w.collectAll();
      }
    });
  });

  it('an attribute filter merging observed series looked like a counter reset', async () => {
    await expectConformance(
      {
        views: [{ instrumentName: 'c', attributesProcessors: [createAllowListAttributesProcessor(['a'])] }],
        readers: [{ temporality: 'cumulative' }, { temporality: 'delta' }],
      },
      async (w: World) => {
        let tick = 0;
        const c = w.meter('merge').createObservableCounter('c');
        c.addCallback(r => {
          r.observe(10 + tick, { a: 1, b: 1 });
          r.observe(5 + tick, { a: 1, b: 2 });
        });
        const g = w.meter('merge').createObservableGauge('g');
        w.meter('merge').addBatchObservableCallback(
          r => {
            r.observe(g, 1 + tick, { x: 1 });
            r.observe(g, 2 + tick, { x: 1 });
          },
          [g],
        );
        for (let i = 0; i < 3; i++) {
          tick = i;
          w.advance(10);
          await w.collectAll();
        }
      },
    );
  });

  it('a negative ObservableCounter total was exported on a monotonic sum', async () => {
    const w = await runOn('fastmeter', {}, async w => {
      const totals = [10, -5, 12];
      let tick = 0;
      w.meter('neg')
        .createObservableCounter('c')
        .addCallback(r => r.observe(totals[tick], { a: 1 }));
      w.meter('neg')
        .createObservableCounter('never.valid')
        .addCallback(r => r.observe(-1));
      for (let i = 0; i < 3; i++) {
        tick = i;
        w.advance(10);
        await w.collect();
      }
    });
    const start = [1700000000, 133000000];
    // The negative total is dropped: no point goes negative, the series keeps its start, and -1 alone creates no series.
    expect(points(w, 0)).toEqual([[{ a: 1 }, 10, start]]);
    expect(points(w, 1)).toEqual([[{ a: 1 }, 10, start]]);
    expect(points(w, 2)).toEqual([[{ a: 1 }, 12, start]]);
  });

  it('a callback reusing one mutable attributes object collapsed its observations into the last set', async () => {
    const scenario = async (w: World) => {
      w.meter('reuse')
        .createObservableUpDownCounter('per.cpu')
        .addCallback(r => {
          const attrs: Attributes = {};
          for (let cpu = 0; cpu < 3; cpu++) {
            attrs.cpu = cpu;
            r.observe(cpu * 10, attrs);
          }
        });
      w.advance(10);
      await w.collect();
    };
    const { sdk, fast } = await bothRuns({}, scenario);
    const start = [1700000000, 133000000];
    expect(points(fast, 0)).toEqual([
      [{ cpu: 0 }, 0, start],
      [{ cpu: 1 }, 10, start],
      [{ cpu: 2 }, 20, start],
    ]);
    // sdk-metrics keeps the three series too, but exports the caller's (mutated) object for each.
    expect(points(sdk, 0).map(p => (p as unknown[])[1])).toEqual([0, 10, 20]);
  });

  // Guards the attribute snapshot taken for the previous fix: reading the caller's object may throw.
  it('observing attributes whose getter throws drops only that observation', async () => {
    const w = await runOn('fastmeter', {}, async w => {
      w.meter('throws')
        .createObservableGauge('g')
        .addCallback(r => {
          r.observe(
            1,
            Object.defineProperty({}, 'bad', {
              enumerable: true,
              get() {
                throw new Error('getter');
              },
            }),
          );
          r.observe(2, { good: true });
        });
      w.advance(10);
      await w.collect();
    });
    expect(w.collections[0].data.errors).toEqual([]);
    expect(points(w, 0)).toEqual([[{ good: true }, 2, [1700000000, 133000000]]]);
  });

  it('a metric named like an earlier dropped instrument was exported out of sdk-metrics order', async () => {
    // sdk-metrics registers a storage for a dropped stream, so its name keeps its place in the order.
    await expectConformance(
      {
        views: [{ instrumentName: 'view.dropped', instrumentType: InstrumentType.UP_DOWN_COUNTER, aggregation: { type: AggregationType.DROP } }],
        readers: [{ aggregation: t => ({ type: t === InstrumentType.UP_DOWN_COUNTER ? AggregationType.DROP : AggregationType.DEFAULT }) }],
      },
      async (w: World) => {
        const m = w.meter('order');
        m.createUpDownCounter('first');
        m.createUpDownCounter('view.dropped');
        m.createCounter('second').add(1);
        m.createCounter('first').add(2);
        m.createCounter('view.dropped').add(3);
        w.advance(10);
        await w.collect();
      },
    );
  });
});
