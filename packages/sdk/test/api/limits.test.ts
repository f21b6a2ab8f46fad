import { describe, expect, it, vi } from 'vitest';
import { FastMeterConfigError } from '@fastmeter/sdk';
import { TestReader, points, setup } from '../helpers.js';

describe('maxNewSeriesPerSecond', () => {
  it('sends new attribute sets past the rate to overflow, then admits them again as the budget refills', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      const { meter, reader } = setup({ maxNewSeriesPerSecond: 2 });
      const c = meter.createCounter('c');
      for (let i = 0; i < 5; i++) c.add(1, { i });
      c.add(1, { i: 0 }); // an existing series is never refused
      let out = (await points(reader)).c;
      expect(out).toEqual([
        [{ i: 0 }, 2],
        [{ i: 1 }, 1],
        [{ 'otel.metric.overflow': true }, 3],
      ]);
      vi.setSystemTime(1_001_000); // one second later: two more tokens
      c.add(1, { i: 2 });
      c.add(1, { i: 3 });
      c.add(1, { i: 4 });
      out = (await points(reader)).c;
      expect(out.map(([a]) => a)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { 'otel.metric.overflow': true }]);
      expect(out.reduce((s, [, v]) => s + (v as number), 0)).toBe(9); // nothing lost
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('internBudget', () => {
  it('bounds the intern tables of all streams together; past it, new series overflow and nothing is lost', async () => {
    const { meter, reader } = setup({ internBudget: 10 });
    const a = meter.createCounter('a');
    const b = meter.createCounter('b');
    for (let i = 0; i < 8; i++) a.add(1, { i });
    for (let i = 0; i < 8; i++) b.add(1, { i });
    const out = await points(reader);
    const named = [...out.a, ...out.b].filter(([attrs]) => !('otel.metric.overflow' in attrs));
    // One intern entry per series (callers use one key order, so no alias paths): exactly the budget.
    expect(named).toHaveLength(10);
    expect(out.b.some(([attrs]) => 'otel.metric.overflow' in attrs)).toBe(true);
    const total = [...out.a, ...out.b].reduce((s, [, v]) => s + (v as number), 0);
    expect(total).toBe(16);
  });

  it('rejects invalid option values with a typed error', () => {
    expect(() => setup({ internBudget: -1 })).toThrow(FastMeterConfigError);
    expect(() => setup({ maxNewSeriesPerSecond: Number.NaN })).toThrow(/maxNewSeriesPerSecond/);
  });
});

describe('selfMetrics', () => {
  it('exports drops by reason, overflow, created and live series under the meter "fastmeter"', async () => {
    const reader = new TestReader();
    const { meter } = setup({ readers: [reader], selfMetrics: true, views: [{ instrumentName: 'c', aggregationCardinalityLimit: 3 }] });
    const c = meter.createCounter('c');
    c.add(-1);
    c.add(Number.NaN);
    c.add('x' as unknown as number);
    c.add(1, null as unknown as undefined);
    for (let i = 0; i < 5; i++) c.add(1, { i });
    const { resourceMetrics } = await reader.collect();
    const self = resourceMetrics.scopeMetrics.find(s => s.scope.name === 'fastmeter');
    expect(self?.scope.version).toMatch(/^\d+\.\d+\.\d+/);
    const byName = Object.fromEntries((self?.metrics ?? []).map(m => [m.descriptor.name, m.dataPoints.map(p => [p.attributes, p.value] as const)]));
    expect(byName['fastmeter.measurements.dropped']).toEqual(
      expect.arrayContaining([
        [{ reason: 'negative' }, 1],
        [{ reason: 'nan' }, 1],
        [{ reason: 'not_a_number' }, 1],
        [{ reason: 'invalid_attributes' }, 1],
      ]),
    );
    expect(byName['fastmeter.measurements.overflowed']).toEqual([[{}, 3]]);
    expect(byName['fastmeter.series.created']).toEqual([[{}, 2]]);
    // c: 2 series + overflow; the self-metrics streams hold 1 series each (most with {}), counted too.
    const live = byName['fastmeter.series.live'][0][1] as number;
    expect(live).toBeGreaterThanOrEqual(3);
  });

  it('is off by default, so the export equals sdk-metrics', async () => {
    const { meter, reader } = setup();
    meter.createCounter('c').add(1);
    const { resourceMetrics } = await reader.collect();
    expect(resourceMetrics.scopeMetrics.map(s => s.scope.name)).toEqual(['test']);
  });
});
