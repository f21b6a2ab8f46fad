import { describe, expect, it, vi } from 'vitest';
import { FastMeterConfigError, bind, removeSeries } from '@fastmeter/sdk';
import { TestReader, deltaReader, points, setup } from '../helpers.js';

describe('cumulativeEviction', () => {
  it('evicts cumulative series idle for N collections; a returning series starts over with a new start time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      const { meter, reader } = setup({ cumulativeEviction: { idleCollections: 2 } });
      const c = meter.createCounter('c');
      c.add(5, { k: 'idle' });
      c.add(1, { k: 'busy' });
      expect((await points(reader)).c).toEqual([
        [{ k: 'busy' }, 1],
        [{ k: 'idle' }, 5],
      ]);
      c.add(1, { k: 'busy' });
      expect((await points(reader)).c).toHaveLength(2); // idle for 1 collection: kept
      c.add(1, { k: 'busy' });
      expect((await points(reader)).c).toEqual([[{ k: 'busy' }, 3]]); // idle for 2: evicted
      vi.setSystemTime(2_000_000);
      c.add(7, { k: 'idle' });
      const { resourceMetrics } = await reader.collect();
      const back = resourceMetrics.scopeMetrics[0].metrics[0].dataPoints.find(p => p.attributes.k === 'idle');
      expect(back?.value).toBe(7);
      expect(back?.startTime).toEqual([2000, 0]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the cardinality limit filled only by live series (churn does not overflow)', async () => {
    const reader = new TestReader({ cardinalitySelector: () => 10 });
    const { meter } = setup({ readers: [reader], cumulativeEviction: { idleCollections: 1 } });
    const c = meter.createCounter('c');
    // Each round's 4 series are evicted at the next collection, so at most 8 are
    // live while a round records (limit 10: 9 attribute sets + overflow).
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 4; i++) c.add(1, { round, i });
      const out = (await points(reader)).c;
      expect(out.some(([a]) => 'otel.metric.overflow' in a)).toBe(false);
    }
  });

  it('never evicts a series bound by a handle, nor data a delta reader has not collected', async () => {
    const cumulative = new TestReader();
    const delta = deltaReader();
    const { meter } = setup({ readers: [cumulative, delta], cumulativeEviction: { idleCollections: 1 } });
    const c = meter.createCounter('c');
    bind(c, { k: 'bound' }).add(1);
    c.add(2, { k: 'free' });
    await points(cumulative);
    await points(cumulative);
    await points(cumulative); // both idle long enough, but the delta reader has not collected
    expect(await points(delta)).toEqual({
      c: [
        [{ k: 'bound' }, 1],
        [{ k: 'free' }, 2],
      ],
    });
    await points(cumulative);
    expect((await points(cumulative)).c).toEqual([[{ k: 'bound' }, 1]]);
  });

  it('evicts observable series whose callback stopped reporting them', async () => {
    const { meter, reader } = setup({ cumulativeEviction: { idleCollections: 2 } });
    const queues = new Map([
      ['q1', 3],
      ['q2', 4],
    ]);
    meter.createObservableGauge('queue.depth').addCallback(r => {
      for (const [queue, depth] of queues) r.observe(depth, { queue });
    });
    expect((await points(reader))['queue.depth']).toHaveLength(2);
    queues.delete('q2');
    expect((await points(reader))['queue.depth']).toHaveLength(2); // q2 idle for this collection
    expect((await points(reader))['queue.depth']).toEqual([[{ queue: 'q1' }, 3]]);
  });

  it('rejects invalid settings with a typed error', () => {
    expect(() => setup({ cumulativeEviction: { idleCollections: 0 } })).toThrow(FastMeterConfigError);
    expect(() => setup({ cumulativeEviction: { idleCollections: 1.5 } })).toThrow(/idleCollections/);
  });
});

describe('removeSeries', () => {
  it('removes one series from every reader now; the next measurement starts a new series', async () => {
    const cumulative = new TestReader();
    const delta = deltaReader();
    const { meter } = setup({ readers: [cumulative, delta] });
    const c = meter.createCounter('c');
    c.add(1, { tenant: 'a' });
    c.add(2, { tenant: 'b' });
    expect(removeSeries(c, { tenant: 'b' })).toBe(true);
    expect(removeSeries(c, { tenant: 'b' })).toBe(false);
    expect(removeSeries(c, { tenant: 'never' })).toBe(false);
    expect((await points(cumulative)).c).toEqual([[{ tenant: 'a' }, 1]]);
    expect((await points(delta)).c).toEqual([[{ tenant: 'a' }, 1]]);
    c.add(5, { tenant: 'b' });
    expect((await points(cumulative)).c).toEqual([
      [{ tenant: 'a' }, 1],
      [{ tenant: 'b' }, 5],
    ]);
  });

  it('finds the series whatever the key order, and for observable instruments', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    c.add(1, { a: 1, b: 2 });
    expect(removeSeries(c, { b: 2, a: 1 })).toBe(true);
    const g = meter.createObservableGauge('g');
    let report = true;
    g.addCallback(r => {
      if (report) r.observe(1, { q: 'x' });
    });
    expect((await points(reader)).g).toEqual([[{ q: 'x' }, 1]]);
    report = false;
    expect((await points(reader)).g).toEqual([[{ q: 'x' }, 1]]); // cumulative: kept as sdk-metrics does
    expect(removeSeries(g, { q: 'x' })).toBe(true);
    expect((await points(reader)).g).toBeUndefined();
  });

  it('refuses a series held by a bound handle, and anything not fastmeter', () => {
    const { meter } = setup();
    const c = meter.createCounter('c');
    const handle = bind(c, { k: 'v' });
    expect(removeSeries(c, { k: 'v' })).toBe(false);
    handle.unbind();
    expect(removeSeries(c, { k: 'v' })).toBe(true);
    expect(removeSeries({} as never)).toBe(false);
    expect(removeSeries(null as never)).toBe(false);
  });
});
