// AdaptiveSampler through a real FastMeterProvider and reader: what is and is
// not sampled, how p follows the offered rate (fake timers drive the ticks),
// hysteresis, budgets shared between instruments and bound series, the burst
// guard, and the self-metrics.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AggregationType, ErrorCode, type ExponentialHistogram, FastMeterConfigError, type Histogram, bind } from '@fastmeter/sdk';
import { AdaptiveSampler, type AdaptiveSamplerOptions } from '@fastmeter/processors';
import { points, seeded, selfMetric, setup, single } from '../helpers.js';

const sampler = (options: AdaptiveSamplerOptions = {}) => new AdaptiveSampler({ backpressure: false, random: seeded(1), ...options });

/** Offers `perSecond` records of `value` per simulated second for `seconds` seconds, ticking the sampler every second. */
function offer(record: (v: number) => void, perSecond: number, seconds: number, value = 1): void {
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < perSecond; i++) record(value);
    vi.advanceTimersByTime(1000);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('what the sampler leaves alone', () => {
  it('counters, up-down counters and gauges get their own record function back', async () => {
    const s = sampler({ budget: 1, totalBudget: 1 });
    const { meter, reader } = setup({ processors: [s] });
    const c = meter.createCounter('c');
    const u = meter.createUpDownCounter('u');
    const g = meter.createGauge('g');
    offer(
      v => {
        c.add(v, { k: 'a' });
        u.add(-v);
        g.record(v);
      },
      10_000,
      3,
      2,
    );
    g.record(7);
    const out = await points(reader);
    expect(out.c).toEqual([[{ k: 'a' }, 60_000]]);
    expect(out.u).toEqual([[{}, -60_000]]);
    expect(out.g).toEqual([[{}, 7]]);
    expect(s.stats().instruments).toEqual({});
  });

  it('a histogram under its budget records every value exactly (p = 1)', async () => {
    const { meter, reader } = setup({ processors: [sampler({ budget: 1000 })] });
    const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 10] } });
    offer(v => h.record(v), 900, 5, 5);
    expect(await single(reader, 'h')).toEqual({ count: 4500, sum: 22_500, min: 5, max: 5, buckets: { boundaries: [1, 10], counts: [0, 4500, 0] } });
  });

  it('budget Infinity (with no total budget) leaves the instrument unwrapped', async () => {
    const s = sampler({ budget: d => (d.name === 'free' ? Number.POSITIVE_INFINITY : 10), totalBudget: Number.POSITIVE_INFINITY });
    const { meter, reader } = setup({ processors: [s] });
    const free = meter.createHistogram('free');
    offer(v => free.record(v), 5000, 2);
    expect((await single(reader, 'free')).count).toBe(10_000);
    expect(Object.keys(s.stats().instruments)).toEqual([]);
  });
});

describe('adaptation', () => {
  it('p = 2^-k settles where the kept rate fits the budget, and the export stays unbiased', async () => {
    const s = sampler({ budget: 1000 });
    const { meter, reader } = setup({ processors: [s], selfMetrics: true });
    const h = meter.createHistogram('h');
    offer(v => h.record(v), 10_000, 5, 3);
    // 10,000/s against 1,000/s: k = ceil(log2 10) = 4.
    expect(s.stats().instruments.h.probability).toBe(1 / 16);
    expect(await selfMetric(reader, 'fastmeter.sampler.probability', { instrument: 'h' })).toBe(1 / 16);
    expect(await selfMetric(reader, 'fastmeter.sampler.offered', { instrument: 'h' })).toBe(50_000);
    const kept = await selfMetric(reader, 'fastmeter.sampler.kept', { instrument: 'h' });
    expect(kept).toBeGreaterThan(3000);
    expect(kept).toBeLessThan(7000);
    const value = await single(reader, 'h');
    expect(value.count).toBeGreaterThan(40_000);
    expect(value.count).toBeLessThan(60_000);
    expect(value.sum).toBe(value.count * 3);
    expect([value.min, value.max]).toEqual([3, 3]);
  });

  it('tightens at once and loosens one step at a time after calm ticks (hysteresis)', () => {
    const s = sampler({ budget: 1000, hysteresis: { margin: 0.25, ticks: 3 } });
    const { meter } = setup({ processors: [s] });
    const h = meter.createHistogram('h');
    const p = () => s.stats().instruments.h.probability;
    offer(v => h.record(v), 8000, 2);
    expect(p()).toBe(1 / 8);
    // 1,400/s: k = 1 would keep 700/s (70 % of the budget, not under 75 %): stays at k = 1 once reached.
    offer(v => h.record(v), 1400, 1);
    expect(p()).toBe(1 / 8);
    offer(v => h.record(v), 1400, 2);
    expect(p()).toBe(1 / 4); // third calm tick: one step
    offer(v => h.record(v), 1400, 3);
    expect(p()).toBe(1 / 2);
    offer(v => h.record(v), 1400, 6);
    expect(p()).toBe(1 / 2); // 1,400 at k = 0 would exceed the budget: stays
    // A rate hovering around 2 × budget: one step to k = 2 on the first 2,100/s, then no flapping.
    offer(v => h.record(v), 2100, 1);
    expect(p()).toBe(1 / 4);
    for (let i = 0; i < 8; i++) {
      offer(v => h.record(v), i % 2 === 0 ? 1900 : 2100, 1);
      expect(p()).toBe(1 / 4);
    }
  });

  it('the burst guard halves p within an interval, before any tick', () => {
    const s = sampler({ budget: 1000, burstFactor: 2 });
    const { meter } = setup({ processors: [s] });
    const h = meter.createHistogram('h');
    for (let i = 0; i < 1_000_000; i++) h.record(1);
    const { kept, offered } = s.stats().instruments.h;
    expect(offered).toBe(1_000_000);
    // 2,000 kept at p = 1, then one more budget's worth per halving: about 2,000 + 1,000 × log2(1e6 / 2,000).
    expect(kept).toBeLessThan(15_000);
    expect(kept).toBeGreaterThan(2000);
  });

  it('shares the total budget max-min fairly between instruments', () => {
    const s = sampler({ budget: 10_000, totalBudget: 3000 });
    const { meter } = setup({ processors: [s] });
    const quiet = meter.createHistogram('quiet');
    const busy1 = meter.createHistogram('busy1');
    const busy2 = meter.createHistogram('busy2');
    offer(
      v => {
        busy1.record(v);
        busy2.record(v);
      },
      16_000,
      3,
    );
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 500; j++) quiet.record(1);
      for (let j = 0; j < 16_000; j++) {
        busy1.record(1);
        busy2.record(1);
      }
      vi.advanceTimersByTime(1000);
    }
    const st = s.stats().instruments;
    expect(st.quiet.probability).toBe(1); // 500/s fits its fair share
    // (3,000 - 500) / 2 = 1,250/s each: 16,000 / 2^4 = 1,000 fits, 2^3 would keep 2,000.
    expect(st.busy1.probability).toBe(1 / 16);
    expect(st.busy2.probability).toBe(1 / 16);
  });

  it('samples each bound handle on its own: a rare bound series keeps everything while a busy one is sampled', async () => {
    const s = sampler({ budget: 1000 });
    const { meter, reader } = setup({ processors: [s] });
    const h = meter.createHistogram('h');
    const busy = bind(h, { series: 'busy' });
    const rare = bind(h, { series: 'rare' });
    offer(v => busy.record(v), 20_000, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 20_000; j++) busy.record(1);
      for (let j = 0; j < 50; j++) rare.record(2);
      vi.advanceTimersByTime(1000);
    }
    const out = await points(reader);
    const rareValue = out.h.find(([a]) => a.series === 'rare')?.[1] as Histogram;
    expect(rareValue.count).toBe(150); // exact: never sampled
    expect(rareValue.sum).toBe(300);
    const busyValue = out.h.find(([a]) => a.series === 'busy')?.[1] as Histogram;
    expect(busyValue.count).toBeGreaterThan(100_000);
    expect(busyValue.count).toBeLessThan(140_000);
    expect(s.stats().instruments.h.probability).toBeLessThan(0.1);
  });

  it('samples exponential histograms with weights (count, sum, zero count)', async () => {
    const s = sampler({ budget: 500 });
    const { meter, reader } = setup({ processors: [s], views: [{ instrumentName: 'e', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }] });
    const e = meter.createHistogram('e');
    offer(v => e.record(v), 8000, 4, 2);
    const value = await single<ExponentialHistogram>(reader, 'e');
    expect(value.count).toBeGreaterThan(26_000);
    expect(value.count).toBeLessThan(38_000);
    expect(value.sum).toBe(value.count * 2);
    expect(value.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(value.count);
  });

  it('min and max are those of the kept values', async () => {
    const s = sampler({ budget: 100 });
    const { meter, reader } = setup({ processors: [s] });
    const h = meter.createHistogram('h');
    offer(v => h.record(v), 10_000, 2, 5);
    h.record(1_000_000); // at p = 1/128 this value is most likely skipped
    const value = await single(reader, 'h');
    expect(value.min).toBe(5);
    expect([5, 1_000_000]).toContain(value.max);
  });
});

describe('lifecycle and options', () => {
  it('stops its timer when the provider shuts down', async () => {
    const { provider } = setup({ processors: [sampler()] });
    expect(vi.getTimerCount()).toBe(1);
    await provider.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects bad options with FM_INVALID_OPTION', () => {
    for (const bad of [
      { budget: -1 },
      { totalBudget: Number.NaN },
      { intervalMillis: 0 },
      { hysteresis: { margin: 2 } },
      { random: 3 },
    ] as AdaptiveSamplerOptions[]) {
      try {
        new AdaptiveSampler(bad);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(FastMeterConfigError);
        expect((err as FastMeterConfigError).code).toBe(ErrorCode.INVALID_OPTION);
      }
    }
  });

  it('a random() that throws or leaves [0, 1) falls back to Math.random: records never throw', async () => {
    for (const random of [
      () => {
        throw new Error('rng');
      },
      () => 1.5,
      () => Number.NaN,
    ]) {
      const s = sampler({ budget: 100, random });
      const { meter, reader } = setup({ processors: [s] });
      const h = meter.createHistogram('h');
      expect(() => offer(v => h.record(v), 10_000, 3)).not.toThrow();
      expect(s.stats().instruments.h.probability).toBeLessThan(1);
      const { count } = await single(reader, 'h');
      expect(count).toBeGreaterThan(20_000);
      expect(count).toBeLessThan(40_000);
    }
  });

  it("its record functions are used without the provider's try/catch guard (neverThrows)", () => {
    const s = sampler();
    expect(s.neverThrows).toBe(true);
  });

  it('a budget function that throws or returns garbage leaves the instrument unsampled', async () => {
    const s = sampler({
      budget: d => {
        if (d.name === 'throws') throw new Error('no');
        return 'x' as unknown as number;
      },
    });
    const { meter, reader } = setup({ processors: [s] });
    const a = meter.createHistogram('throws');
    const b = meter.createHistogram('garbage');
    offer(
      v => {
        a.record(v);
        b.record(v);
      },
      5000,
      2,
    );
    expect((await single(reader, 'throws')).count).toBe(10_000);
    expect((await single(reader, 'garbage')).count).toBe(10_000);
  });
});
