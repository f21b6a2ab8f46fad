// The sampler's estimates, tested statistically over 1,000 seeds against the
// bounds stated in the README ("Error bound"):
//  - unbiased: the mean over seeds of the exported count, sum and bucket counts
//    is within 1 % of the truth;
//  - the number of kept records at p = 2^-k over n offered is Binomial(n, p):
//    |K - n·p| <= 3·sqrt(n·p·(1 - p)) for at least 99 % of seeds.
// Each seed runs a real provider and reader through three phases that exercise
// every way p changes: a burst (the guard halves p within the interval), a
// steady 16× overload (p = 1/16), and a drop to 2× (p loosens with hysteresis).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdaptiveSampler } from '@fastmeter/processors';
import { seeded, setup, single } from '../helpers.js';

const SEEDS = 1000;
const BUDGET = 1000;
const BOUNDARIES = [100, 500, 900];
const value = (i: number) => 1 + ((i * 37) % 1000);

interface Run {
  count: number;
  sum: number;
  counts: number[];
  keptSteady: number;
}

async function run(seed: number): Promise<Run> {
  const sampler = new AdaptiveSampler({ budget: BUDGET, backpressure: false, random: seeded(seed) });
  const { reader, meter, provider } = setup({ processors: [sampler] });
  const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: BOUNDARIES } });
  let i = 0;
  const second = (n: number) => {
    for (let j = 0; j < n; j++) h.record(value(i++));
    vi.advanceTimersByTime(1000);
  };
  second(16_000); // burst: the guard tightens within the interval, then the tick sets k = 4
  const before = sampler.stats().instruments.h.kept;
  for (let s = 0; s < 4; s++) second(16_000); // steady at p = 1/16
  const keptSteady = sampler.stats().instruments.h.kept - before;
  for (let s = 0; s < 4; s++) second(2000); // k loosens one step per 3 calm ticks
  const point = await single(reader, 'h');
  await provider.shutdown();
  return { count: point.count, sum: point.sum as number, counts: point.buckets.counts, keptSteady };
}

describe(`AdaptiveSampler over ${SEEDS} seeds`, () => {
  const runs: Run[] = [];
  let truth: { count: number; sum: number; counts: number[] };

  beforeAll(async () => {
    vi.useFakeTimers();
    for (let seed = 1; seed <= SEEDS; seed++) runs.push(await run(seed));
    const counts = new Array(BOUNDARIES.length + 1).fill(0);
    let sum = 0;
    const n = 16_000 * 5 + 2000 * 4;
    for (let i = 0; i < n; i++) {
      const v = value(i);
      sum += v;
      counts[BOUNDARIES.findIndex(b => v <= b) === -1 ? BOUNDARIES.length : BOUNDARIES.findIndex(b => v <= b)]++;
    }
    truth = { count: n, sum, counts };
  }, 120_000);
  afterAll(() => {
    vi.useRealTimers();
  });

  const mean = (f: (r: Run) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;

  it('every seed sampled (the estimates are not the exact values)', () => {
    expect(runs).toHaveLength(SEEDS);
    expect(runs.filter(r => r.count === truth.count).length).toBeLessThan(SEEDS / 100);
  });

  it('mean estimated count within 1 % of the truth', () => {
    expect(Math.abs(mean(r => r.count) / truth.count - 1)).toBeLessThan(0.01);
  });

  it('mean estimated sum within 1 % of the truth', () => {
    expect(Math.abs(mean(r => r.sum) / truth.sum - 1)).toBeLessThan(0.01);
  });

  it('mean estimated bucket counts within 1 % of the truth', () => {
    for (let b = 0; b < truth.counts.length; b++) {
      expect(Math.abs(mean(r => r.counts[b]) / truth.counts[b] - 1), `bucket ${b}`).toBeLessThan(0.01);
    }
  });

  it('kept records at p = 1/16: >= 99 % of seeds within 3·sqrt(n·p·(1 - p)) of n·p', () => {
    const n = 4 * 16_000;
    const p = 1 / 16;
    const bound = 3 * Math.sqrt(n * p * (1 - p));
    const within = runs.filter(r => Math.abs(r.keptSteady - n * p) <= bound).length;
    expect(within / SEEDS).toBeGreaterThanOrEqual(0.99);
    // and the spread is what the binomial says (not a sampler that keeps exactly n·p)
    const sd = Math.sqrt(mean(r => (r.keptSteady - n * p) ** 2));
    expect(sd / Math.sqrt(n * p * (1 - p))).toBeGreaterThan(0.8);
    expect(sd / Math.sqrt(n * p * (1 - p))).toBeLessThan(1.2);
  });
});
