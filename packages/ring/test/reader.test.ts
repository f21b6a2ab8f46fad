import { FastMeterProvider } from '@fastmeter/sdk';
import { diag } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RingBufferReader, RingConfigError } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Steps the wall clock (Date only: timers, I/O stay real) and collects. */
async function step(ring: RingBufferReader, ms: number) {
  vi.setSystemTime(Date.now() + ms);
  await ring.collect();
}

describe('RingBufferReader as a reader', () => {
  for (const [label, make] of [
    ['FastMeterProvider', (ring: RingBufferReader) => new FastMeterProvider({ readers: [ring], resource: resourceFromAttributes({ 'service.name': 'shop' }) })],
    [
      'sdk-metrics MeterProvider',
      (ring: RingBufferReader) => new MeterProvider({ readers: [ring as never], resource: resourceFromAttributes({ 'service.name': 'shop' }) }),
    ],
  ] as const) {
    it(`holds what ${label} collects: counters, gauges, histograms, with the resource as labels`, async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_700_000_000_000);
      const ring = new RingBufferReader();
      const provider = make(ring);
      const meter = provider.getMeter('shop');
      const orders = meter.createCounter('orders');
      const inflight = meter.createUpDownCounter('inflight');
      const latency = meter.createHistogram('latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
      for (let i = 0; i < 30; i++) {
        orders.add(2, { kind: 'web' });
        orders.add(1, { kind: 'app' });
        inflight.add(i % 2 === 0 ? 1 : -1);
        latency.record(0.3, { kind: 'web' });
        await step(ring, 1000);
      }
      expect(ring.metrics().map(m => [m.name, m.kind, m.series])).toEqual([
        ['inflight', 'updowncounter', 1],
        ['latency', 'histogram', 1],
        ['orders', 'counter', 2],
      ]);
      const rate = ring.query('sum by (kind) (rate(orders[10s]))');
      expect(Object.fromEntries(rate.samples.map(s => [s.labels.kind, s.value]))).toEqual({ web: 2, app: 1 });
      expect(ring.series('orders{kind="web"}')[0]).toMatchObject({ labels: { 'service.name': 'shop', kind: 'web' }, points: 30 });
      expect(ring.query('histogram_quantile(0.5, rate(latency[10s]))').samples[0].value).toBeCloseTo(0.3, 10);
      expect(ring.query('inflight').samples[0].value).toBe(0);
      await provider.shutdown();
    });
  }

  it('collects on its own every intervalMillis once registered, and stops at shutdown', async () => {
    const ring = new RingBufferReader({ intervalMillis: 20 });
    const provider = new FastMeterProvider({ readers: [ring] });
    const c = provider.getMeter('m').createCounter('ticks');
    c.add(1);
    const start = Date.now();
    while (ring.series('ticks')[0]?.points !== 5 && Date.now() - start < 10_000) {
      c.add(1);
      await new Promise(r => setTimeout(r, 5));
    }
    expect(ring.series('ticks')[0].points).toBeGreaterThanOrEqual(5);
    await provider.shutdown();
    const held = ring.series('ticks')[0].points;
    await new Promise(r => setTimeout(r, 100));
    expect(ring.series('ticks')[0].points).toBe(held);
  });

  it('asks for cumulative temporality, the default aggregation (or its selector), and its cardinality limit', () => {
    const ring = new RingBufferReader({ readerCardinalityLimit: 50, aggregationSelector: () => ({ type: AggregationType.EXPONENTIAL_HISTOGRAM }) });
    expect(ring.selectAggregationTemporality('COUNTER')).toBe(1);
    expect(ring.selectAggregation('HISTOGRAM')).toEqual({ type: AggregationType.EXPONENTIAL_HISTOGRAM });
    expect(ring.selectCardinalityLimit('COUNTER')).toBe(50);
    expect(new RingBufferReader().selectAggregation('HISTOGRAM')).toEqual({ type: AggregationType.DEFAULT });
  });

  it('stores exponential histograms when asked for them', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const ring = new RingBufferReader({
      aggregationSelector: t => ({ type: t === 'HISTOGRAM' ? AggregationType.EXPONENTIAL_HISTOGRAM : AggregationType.DEFAULT }),
    });
    const provider = new FastMeterProvider({ readers: [ring] });
    const h = provider.getMeter('m').createHistogram('h');
    for (let i = 0; i < 10; i++) {
      for (let k = 1; k <= 100; k++) h.record(k);
      await step(ring, 1000);
    }
    expect(ring.metrics()[0].kind).toBe('exponential_histogram');
    const p50 = ring.query('histogram_quantile(0.5, rate(h[5s]))').samples[0].value;
    expect(Math.abs(p50 - 50) / 50).toBeLessThan(0.05);
    await provider.shutdown();
  });

  it('refuses a second provider, and reports collection failures without throwing from its timer', async () => {
    const ring = new RingBufferReader({ intervalMillis: 10 });
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    ring.setMetricProducer({ collect: async () => Promise.reject(new Error('boom')) });
    expect(() => ring.setMetricProducer({ collect: async () => ({ resourceMetrics: {}, errors: [] }) })).toThrow(RingConfigError);
    await new Promise(r => setTimeout(r, 60));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('collection failed: boom'));
    await ring.shutdown();
  });

  it('keeps collecting after a producer that throws synchronously (regression: the tick promise was never cleared)', async () => {
    const ring = new RingBufferReader({ intervalMillis: 10 });
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    let calls = 0;
    ring.setMetricProducer({
      collect: () => {
        calls++;
        throw new Error('sync boom');
      },
    });
    const start = Date.now();
    while (calls < 3 && Date.now() - start < 5000) await new Promise(r => setTimeout(r, 10));
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('collection failed: sync boom'));
    await ring.shutdown();
  });

  it('tells subscribers about every collection and ingest', async () => {
    const ring = new RingBufferReader();
    const provider = new FastMeterProvider({ readers: [ring] });
    provider.getMeter('m').createCounter('c').add(1);
    const events: string[] = [];
    const off = ring.subscribe(e => events.push(`${e.source}:${e.result.points}`));
    await ring.collect();
    ring.ingest({ resource: { attributes: {} }, scopeMetrics: [] });
    off();
    await ring.collect();
    expect(events).toEqual(['collect:1', 'ingest:0']);
    await provider.shutdown();
  });

  it('self-metrics: fastmeter.ring.series and fastmeter.ring.bytes, in the ring or on a provider', async () => {
    const ring = new RingBufferReader({ selfMetrics: true });
    const provider = new FastMeterProvider({ readers: [ring] });
    provider.getMeter('m').createCounter('c').add(1, { a: '1' });
    await ring.collect();
    expect(ring.query('fastmeter.ring.series').samples[0].value).toBe(1);
    expect(ring.query('fastmeter.ring.bytes').samples[0].value).toBeGreaterThan(0);
    await provider.shutdown();

    const ring2 = new RingBufferReader();
    const provider2 = new FastMeterProvider({ readers: [ring2] });
    ring2.registerSelfMetrics(provider2);
    provider2.getMeter('m').createCounter('c').add(1);
    await ring2.collect();
    await ring2.collect();
    const m = ring2.metrics().find(x => x.name === 'fastmeter.ring.series');
    expect(m).toMatchObject({ kind: 'gauge', scope: { name: 'fastmeter' } });
    expect(ring2.query('fastmeter.ring.series').samples[0].value).toBeGreaterThanOrEqual(2);
    await provider2.shutdown();
  });
});
