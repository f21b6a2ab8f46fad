import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { FastMeterProvider } from '@fastmeter/sdk';

class TestReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

describe('smoke', () => {
  it('records a counter', async () => {
    const reader = new TestReader();
    const provider = new FastMeterProvider({ readers: [reader] });
    const c = provider.getMeter('m').createCounter('c');
    c.add(1, { a: 'x' });
    c.add(2, { a: 'x' });
    c.add(5);
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const points = resourceMetrics.scopeMetrics[0].metrics[0].dataPoints;
    expect(points.map(p => [p.attributes, p.value])).toEqual([
      [{ a: 'x' }, 3],
      [{}, 5],
    ]);
    const ref = new TestReader();
    const p2 = new MeterProvider({ readers: [ref] });
    const c2 = p2.getMeter('m').createCounter('c');
    c2.add(1, { a: 'x' });
    const r2 = await ref.collect();
    expect(Object.keys(r2.resourceMetrics.scopeMetrics[0].metrics[0])).toEqual(Object.keys(resourceMetrics.scopeMetrics[0].metrics[0]));
  });
});
