import { describe, expect, it } from 'vitest';
import { type HistogramDelta, bind } from '@fastmeter/sdk';
import { points, selfMetrics, setup, withWarnings } from '../helpers.js';

const GOOD: HistogramDelta = { boundaries: [1], counts: [1, 1], count: 2, sum: 3, min: 0.5, max: 2.5 };

describe('BoundHistogram.merge input checks', () => {
  it('merge() accepted an inconsistent, non-finite delta and the series was NaN forever', async () => {
    await withWarnings(async warnings => {
      const { meter, reader } = setup({ selfMetrics: true });
      const handle = bind(meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1] } }), { k: 'v' });
      handle.record(5);
      expect(handle.merge({ boundaries: [1], counts: [1, 1], count: 5, sum: Number.NaN, min: Number.NEGATIVE_INFINITY, max: Number.NaN })).toBe(false);
      handle.record(0.5);
      const out = await points(reader);
      expect(out.h).toEqual([[{ k: 'v' }, { min: 0.5, max: 5, sum: 5.5, count: 2, buckets: { boundaries: [1], counts: [1, 1] } }]]);
      expect((await selfMetrics(reader))['fastmeter.measurements.dropped']).toEqual([[{ reason: 'invalid_histogram_delta' }, 1]]);
      expect(warnings.some(w => w.includes('merge') && w.includes('"h"'))).toBe(true);
    });
  });

  const bad: [string, Partial<HistogramDelta>][] = [
    ['a NaN sum', { sum: Number.NaN }],
    ['an infinite sum', { sum: Number.POSITIVE_INFINITY }],
    ['a count that is not the sum of the bucket counts', { count: 3 }],
    ['a negative bucket count', { counts: [-1, 3] }],
    ['a fractional count', { counts: [0.5, 1.5] }],
    ['a NaN bucket count', { counts: [Number.NaN, 2] }],
    ['a non-finite min', { min: Number.NEGATIVE_INFINITY }],
    ['a NaN max', { max: Number.NaN }],
    ['min above max', { min: 3, max: 1 }],
    ['a negative value on a histogram (min < 0)', { min: -1 }],
    ['a non-number count', { count: '2' as never }],
    ['counts that are not array-like', { counts: null as never }],
  ];
  for (const [what, change] of bad) {
    it(`rejects ${what}, leaving the series untouched`, async () => {
      await withWarnings(async () => {
        const { meter, reader } = setup();
        const handle = bind(meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1] } }));
        expect(handle.merge({ ...GOOD, ...change })).toBe(false);
        expect(handle.merge(GOOD)).toBe(true);
        expect((await points(reader)).h).toEqual([[{}, { min: 0.5, max: 2.5, sum: 3, count: 2, buckets: { boundaries: [1], counts: [1, 1] } }]]);
      });
    });
  }

  it('accepts an empty delta (count 0) without touching the series', async () => {
    const { meter, reader } = setup();
    const handle = bind(meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1] } }));
    expect(handle.merge({ boundaries: [1], counts: [0, 0], count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY })).toBe(true);
    expect((await points(reader)).h).toEqual([[{}, { min: undefined, max: undefined, sum: 0, count: 0, buckets: { boundaries: [1], counts: [0, 0] } }]]);
  });

  it('a gauge accepts negative values', async () => {
    const { meter, reader } = setup({ views: [{ instrumentName: 'g', aggregation: { type: 4, options: { boundaries: [1] } } }] });
    const handle = bind(meter.createGauge('g'));
    expect(handle.merge({ ...GOOD, min: -1, sum: 1.5 })).toBe(true);
    expect((await points(reader)).g[0][1]).toMatchObject({ count: 2, min: -1 });
  });
});
