import { FastMeterProvider } from '@fastmeter/sdk';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it, vi } from 'vitest';
import { RingBufferReader } from '../src/index.js';

describe('smoke', () => {
  it('collects from FastMeterProvider and answers rate', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let now = 1_700_000_000_000;
    vi.setSystemTime(now);
    const ring = new RingBufferReader();
    const provider = new FastMeterProvider({ readers: [ring] });
    const c = provider.getMeter('m').createCounter('http.requests');
    const h = provider.getMeter('m').createHistogram('lat', { advice: { explicitBucketBoundaries: [1, 2, 5, 10] } });
    for (let i = 0; i < 60; i++) {
      c.add(10, { route: '/a' });
      c.add(5, { route: '/b' });
      h.record(3, { route: '/a' });
      now += 1000;
      vi.setSystemTime(now);
      const res = await ring.collect();
      void res;
    }
    console.log(ring.metrics());
    const r = ring.query('rate(http.requests[30s])', { time: now });
    console.log(JSON.stringify(r));
    const q = ring.query('histogram_quantile(0.5, rate(lat[30s]))', { time: now });
    console.log(JSON.stringify(q));
    console.log(JSON.stringify(ring.query('sum by (route) (increase(http.requests[30s]))', { time: now })));
    console.log(JSON.stringify(ring.query('ewma_rate_1m(http.requests)', { time: now })));
    console.log(ring.stats());
    await provider.shutdown();
    vi.useRealTimers();
  });

  it('works as a reader of sdk-metrics MeterProvider', async () => {
    const ring = new RingBufferReader();
    const provider = new MeterProvider({ readers: [ring as any] });
    provider.getMeter('x').createCounter('c').add(3, { a: '1' });
    await ring.collect();
    expect(ring.series()).toHaveLength(1);
    console.log(JSON.stringify(ring.query('c')));
    await provider.shutdown();
  });
});
