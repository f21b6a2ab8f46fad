// Aggregation options are validated when the view is built: values sdk-metrics
// accepts (and records with) are clamped to a documented range with a warning,
// so recording goes on and stays bounded; only what sdk-metrics rejects throws.
import { AggregationType } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { FastMeterConfigError } from '@fastmeter/sdk';
import { points, setup, withWarnings } from '../helpers.js';

type Exp = { scale: number; count: number; positive: { bucketCounts: number[] }; negative: { bucketCounts: number[] } };

function exponentialView(maxSize: unknown) {
  return { instrumentName: 'h', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: maxSize as number } } };
}

/** Runs in a child-free way but bounded: a hang fails the test by its timeout instead of stalling the suite. */
async function recordSpread(maxSize: unknown): Promise<Exp> {
  const { meter, reader } = setup({ views: [exponentialView(maxSize)] });
  const h = meter.createHistogram('h');
  for (const v of [1e-300, 1e-10, 0.5, 1, 3, 1e10, 1e300]) h.record(v);
  const [[, value]] = (await points(reader)).h;
  return value as Exp;
}

describe('exponential histogram maxSize', () => {
  it('maxSize: NaN made the first record() loop forever; it now uses the default of 160 buckets', async () => {
    await withWarnings(async warnings => {
      const value = await recordSpread(Number(process.env.FASTMETER_SURELY_UNSET));
      expect(value.count).toBe(7);
      expect(value.positive.bucketCounts.length).toBeLessThanOrEqual(160);
      expect(warnings.some(w => w.includes('maxSize') && w.includes('NaN') && w.includes('160'))).toBe(true);
    });
  }, 10_000);

  it('maxSize: Infinity exported millions of buckets; it is clamped to 16384', async () => {
    await withWarnings(async warnings => {
      const value = await recordSpread(Number.POSITIVE_INFINITY);
      expect(value.count).toBe(7);
      expect(value.positive.bucketCounts.length).toBeLessThanOrEqual(16384);
      expect(warnings.some(w => w.includes('maxSize') && w.includes('16384'))).toBe(true);
    });
  }, 10_000);

  it('a maxSize above the maximum is clamped; below 2 raised to 2; fractions rounded down', async () => {
    await withWarnings(async warnings => {
      expect((await recordSpread(1e9)).positive.bucketCounts.length).toBeLessThanOrEqual(16384);
      expect((await recordSpread(-5)).positive.bucketCounts.length).toBeLessThanOrEqual(2);
      expect((await recordSpread(0)).positive.bucketCounts.length).toBeLessThanOrEqual(2);
      expect((await recordSpread(10.9)).positive.bucketCounts.length).toBeLessThanOrEqual(10);
      expect(warnings.length).toBeGreaterThanOrEqual(3);
    });
  });

  it('a maxSize that is not a number uses the default, with a warning naming its type', async () => {
    await withWarnings(async warnings => {
      const value = await recordSpread('40');
      expect(value.positive.bucketCounts.length).toBeLessThanOrEqual(160);
      expect(warnings.some(w => w.includes('maxSize') && w.includes('"40"') && w.includes('string'))).toBe(true);
    });
  });

  it('a reader choosing an exponential histogram with maxSize: NaN is validated too', async () => {
    const { TestReader } = await import('../helpers.js');
    await withWarnings(async () => {
      const reader = new TestReader({
        aggregationSelector: () => ({ type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: Number.NaN } }),
      });
      const { meter } = setup({ readers: [reader] });
      meter.createHistogram('h').record(3);
      meter.createHistogram('h').record(1e300);
      const [[, value]] = (await points(reader)).h;
      expect((value as Exp).count).toBe(2);
    });
  }, 10_000);
});

describe('explicit bucket boundaries', () => {
  it('NaN and non-number boundaries are removed with a warning; recording goes on', async () => {
    await withWarnings(async warnings => {
      const { meter, reader } = setup({
        views: [
          {
            instrumentName: 'h',
            aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [10, Number.NaN, 1, '5' as never, 100] } },
          },
        ],
      });
      meter.createHistogram('h').record(7);
      const [[, value]] = (await points(reader)).h;
      expect(value).toMatchObject({ count: 1, buckets: { boundaries: [1, 10, 100], counts: [0, 1, 0, 0] } });
      expect(warnings.some(w => w.includes('boundaries'))).toBe(true);
    });
  });

  it('boundaries that are not an array throw FastMeterConfigError (sdk-metrics throws a TypeError)', () => {
    expect(() =>
      setup({ views: [{ instrumentName: 'h', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: 5 as never } } }] }),
    ).toThrow(FastMeterConfigError);
  });

  it('advice boundaries with NaN or non-numbers are cleaned the same way', async () => {
    await withWarnings(async () => {
      const { meter, reader } = setup();
      meter.createHistogram('h', { advice: { explicitBucketBoundaries: [Number.NaN, 2, 1, 'x' as never] } }).record(1.5);
      const [[, value]] = (await points(reader)).h;
      expect(value).toMatchObject({ count: 1, buckets: { boundaries: [1, 2], counts: [0, 1, 0] } });
    });
  });
});
