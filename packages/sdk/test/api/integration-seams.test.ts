import { describe, expect, it } from 'vitest';
import { bind } from '@fastmeter/sdk';
import { deltaReader, points, setup } from '../helpers.js';

describe('addCollectHook', () => {
  it('runs before every collection and may record into instruments', async () => {
    const { provider, meter, reader } = setup();
    const counter = meter.createCounter('pulled');
    let pulls = 0;
    const remove = provider.addCollectHook(() => {
      pulls++;
      counter.add(10, { source: 'hook' });
    });
    expect((await points(reader)).pulled).toEqual([[{ source: 'hook' }, 10]]);
    expect((await points(reader)).pulled).toEqual([[{ source: 'hook' }, 20]]);
    remove();
    expect((await points(reader)).pulled).toEqual([[{ source: 'hook' }, 20]]);
    expect(pulls).toBe(2);
  });

  it('a failing hook adds an error; the collection still completes', async () => {
    const { provider, meter, reader } = setup();
    meter.createCounter('c').add(1);
    provider.addCollectHook(async () => {
      throw new Error('hook failed');
    });
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors.map(e => (e as Error).message)).toEqual(['hook failed']);
    expect(resourceMetrics.scopeMetrics[0].metrics[0].dataPoints[0].value).toBe(1);
  });
});

describe('BoundHistogram.merge', () => {
  it('adds pre-aggregated buckets, count, sum, min and max', async () => {
    const { meter, reader } = setup();
    const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 10] } });
    const handle = bind(h, { k: 'v' });
    handle.record(5);
    expect(handle.merge({ boundaries: [1, 10], counts: [2, 0, 1], count: 3, sum: 100.5, min: 0.25, max: 99 })).toBe(true);
    const [[, value]] = (await points(reader)).h;
    expect(value).toEqual({ min: 0.25, max: 99, sum: 105.5, count: 4, buckets: { boundaries: [1, 10], counts: [2, 1, 1] } });
  });

  it('refuses data with other boundaries and leaves the series untouched', async () => {
    const { meter, reader } = setup({ readers: [deltaReader()] });
    const handle = bind(meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 10] } }), {});
    expect(handle.merge({ boundaries: [1, 5], counts: [1, 1, 1], count: 3, sum: 7, min: 1, max: 5 })).toBe(false);
    expect(await points(reader)).toEqual({});
  });
});
