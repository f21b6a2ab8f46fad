// The harness itself: it must see the differences it is meant to see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type World, differences, useFakeDate } from './harness.js';
import { Approx, describeDifferences, downscale } from './normalise.js';

useFakeDate({ beforeAll, afterAll });

describe('harness', () => {
  it('finds no difference in identical runs', async () => {
    expect(
      await differences({}, async w => {
        w.meter('m').createCounter('c').add(1, { a: 1 });
        w.advance(10);
        await w.collect();
      }),
    ).toEqual([]);
  });

  it('sees a different value, a missing point and a different timestamp', async () => {
    const found = await differences({}, async (w: World) => {
      const c = w.meter('m').createCounter('c');
      c.add(1, { a: 1 });
      if (w.impl === 'fastmeter') {
        c.add(1, { a: 1 });
        c.add(1, { a: 2 });
        w.advance(1);
      }
      w.advance(10);
      await w.collect();
    });
    expect(found.join('\n')).toMatch(/dataPoints: length 1 vs 2/);
    const timestamps = await differences({}, async (w: World) => {
      w.meter('m').createCounter('c').add(1);
      w.advance(w.impl === 'fastmeter' ? 11 : 10);
      await w.collect();
    });
    expect(timestamps.join('\n')).toMatch(/endTime\[1\]: sdk-metrics 133000000, fastmeter 134000000/);
  });

  it('compares errors, notes and the number of collections', async () => {
    const found = await differences({}, async (w: World) => {
      w.meter('m')
        .createObservableGauge('g')
        .addCallback(() => {
          throw new Error(w.impl);
        });
      w.note(w.impl === 'fastmeter' ? 1 : 2);
      await w.collect();
      if (w.impl === 'fastmeter') await w.collect();
    });
    expect(found).toEqual([
      'number of collections: sdk-metrics 1, fastmeter 2',
      'collect #0 (reader 0): errors[0]: sdk-metrics "Error: sdk-metrics", fastmeter "Error: fastmeter"',
      'notes[0]: sdk-metrics 2, fastmeter 1',
    ]);
  });

  it('tells a key holding undefined from a missing key', () => {
    expect(describeDifferences({ sum: undefined, count: 1 }, { count: 1 })).toEqual(['sum: missing in fastmeter, sdk-metrics has undefined']);
  });

  it('compares sums with a relative tolerance of 1e-12 only', () => {
    expect(describeDifferences(new Approx(1e16 + 2), new Approx(1e16))).toEqual([]);
    expect(describeDifferences(new Approx(1), new Approx(1 + 1e-11))).toHaveLength(1);
    expect(describeDifferences(1e16 + 2, 1e16)).toHaveLength(1); // counts, bounds, timestamps: exact
    expect(describeDifferences(0, -0)).toEqual([]);
  });

  it('compares exponential histograms at the coarser scale, fastmeter being the finer', () => {
    const at = (scale: number, offset: number, bucketCounts: number[]) => ({
      scale,
      zeroCount: 0,
      count: bucketCounts.reduce((a, b) => a + b, 0),
      positive: { offset, bucketCounts },
      negative: { offset: 0, bucketCounts: [] },
    });
    expect(downscale({ offset: -3, bucketCounts: [1, 2, 3, 4] }, 1)).toEqual({ offset: -2, bucketCounts: [1, 5, 4] });
    expect(describeDifferences(at(1, -2, [1, 5, 4]), at(2, -3, [1, 2, 3, 4]))).toEqual([]);
    expect(describeDifferences(at(1, -2, [1, 5, 4]), at(2, -3, [1, 2, 4, 3]))).not.toEqual([]);
    expect(describeDifferences(at(2, -3, [1, 2, 3, 4]), at(1, -2, [1, 5, 4]))).toEqual(["scale: fastmeter's 1 is coarser than sdk-metrics' 2"]);
  });
});
