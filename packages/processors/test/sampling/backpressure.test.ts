// Record-path backpressure: the sampler divides its budgets by 2^level while
// the event loop lags or an export path backs up, visible in self-metrics.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveSampler, type PressureSource } from '@fastmeter/processors';
import { seeded, selfMetric, setup } from '../helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('backpressure', () => {
  it('a pressure source raises the level one step per tick, tightening p; calm ticks release it', async () => {
    vi.useFakeTimers();
    const source: PressureSource & { underPressure: boolean } = { underPressure: false };
    const sampler = new AdaptiveSampler({
      budget: 1000,
      random: seeded(3),
      backpressure: { eventLoopDelayMillis: 0, maxLevel: 3, releaseTicks: 2, sources: [source] },
    });
    const { meter, reader } = setup({ processors: [sampler], selfMetrics: true });
    const h = meter.createHistogram('h');
    const second = () => {
      for (let i = 0; i < 900; i++) h.record(1);
      vi.advanceTimersByTime(1000);
    };
    second();
    expect(sampler.stats().instruments.h.probability).toBe(1);
    source.underPressure = true;
    const levels: number[] = [];
    const probabilities: number[] = [];
    for (let i = 0; i < 4; i++) {
      second();
      levels.push(sampler.stats().pressureLevel);
      probabilities.push(sampler.stats().instruments.h.probability);
    }
    expect(levels).toEqual([1, 2, 3, 3]);
    // budget 1000 / 2^level against 900/s: 500 → p 1/2, 250 → 1/4, 125 → 1/8
    expect(probabilities).toEqual([1 / 2, 1 / 4, 1 / 8, 1 / 8]);
    expect(await selfMetric(reader, 'fastmeter.backpressure.level')).toBe(3);
    expect(await selfMetric(reader, 'fastmeter.backpressure.active', { signal: 'export_queue' })).toBe(1);
    expect(await selfMetric(reader, 'fastmeter.backpressure.active', { signal: 'event_loop_delay' })).toBe(0);
    source.underPressure = false;
    const released: number[] = [];
    for (let i = 0; i < 6; i++) {
      second();
      released.push(sampler.stats().pressureLevel);
    }
    expect(released).toEqual([3, 2, 2, 1, 1, 0]);
    for (let i = 0; i < 12; i++) second();
    expect(sampler.stats().instruments.h.probability).toBe(1);
  });

  it('event-loop delay over the threshold is a signal (real timers, a blocked loop)', async () => {
    const sampler = new AdaptiveSampler({ budget: 1000, intervalMillis: 60_000, backpressure: { eventLoopDelayMillis: 50 } });
    const { reader, provider } = setup({ processors: [sampler], selfMetrics: true });
    for (let i = 0; i < 3; i++) {
      const end = Date.now() + 250;
      while (Date.now() < end) {
        // the event loop is blocked: no timer runs
      }
      await new Promise(resolve => setTimeout(resolve, 30));
    }
    sampler.adapt();
    const stats = sampler.stats();
    expect(stats.signals.event_loop_delay).toBe(true);
    expect(stats.eventLoopDelayMillis).toBeGreaterThan(200);
    expect(stats.pressureLevel).toBe(1);
    expect(await selfMetric(reader, 'fastmeter.backpressure.event_loop_delay')).toBeGreaterThan(0.05);
    await provider.shutdown();
  });

  it('eventLoopDelayMillis: 0 turns the event-loop signal off', async () => {
    const sampler = new AdaptiveSampler({ intervalMillis: 60_000, backpressure: { eventLoopDelayMillis: 0 } });
    const { provider } = setup({ processors: [sampler] });
    const end = Date.now() + 250;
    while (Date.now() < end) {
      // blocked
    }
    await new Promise(resolve => setTimeout(resolve, 30));
    sampler.adapt();
    expect(sampler.stats()).toMatchObject({ pressureLevel: 0, eventLoopDelayMillis: 0, signals: { event_loop_delay: false } });
    await provider.shutdown();
  });
});
