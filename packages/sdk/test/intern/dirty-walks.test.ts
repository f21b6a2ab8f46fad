// A set that needed cleaning (a truncated value, an undefined value, keys past
// the count limit) is cached as a "dirty alias": its next call takes the fast
// path, and what was removed is still counted on every measurement.
import { describe, expect, it } from 'vitest';
import { points, selfMetrics, setup } from '../helpers.js';

function series(instrument: object): { paths: number } {
  const key = Object.getOwnPropertySymbols(instrument).find(s => s.description?.includes('instrument')) as symbol;
  return (instrument as Record<symbol, { streams: { series: { paths: number } }[] }>)[key].streams[0].series;
}

describe('dirty walks', () => {
  it('a truncated value and an undefined value are cached, and counted per measurement', async () => {
    const { meter, reader } = setup({ attributeValueLengthLimit: 20, selfMetrics: true });
    const c = meter.createCounter('c');
    for (let i = 0; i < 50; i++) {
      c.add(1, { url: '/a/long/path/longer/than/twenty' });
      c.add(1, { route: '/r', user: undefined });
    }
    expect(series(c).paths).toBe(4); // two primaries and two dirty walks
    const out = await points(reader);
    expect(out.c).toEqual([
      [{ route: '/r' }, 50],
      [{ url: '/a/long/path/longer/' }, 50],
    ]);
    expect((await selfMetrics(reader))['fastmeter.attributes.dropped']).toEqual([
      [{ reason: 'truncated' }, 50],
      [{ reason: 'undefined_value' }, 50],
    ]);
  });

  it('a very long truncated value is not kept alive by the cache', () => {
    const { meter } = setup({ attributeValueLengthLimit: 4 });
    const c = meter.createCounter('c');
    for (let i = 0; i < 10; i++) c.add(1, { blob: 'x'.repeat(5000) });
    expect(series(c).paths).toBe(1);
  });

  it('a dirty walk leaves with its series (delta reclaim, removeSeries)', async () => {
    const { deltaReader } = await import('../helpers.js');
    const { removeSeries } = await import('@fastmeter/sdk');
    const { meter, reader } = setup({ attributeCountLimit: 1, readers: [deltaReader()] });
    const c = meter.createCounter('c');
    c.add(1, { a: 1, b: 2 });
    c.add(1, { a: 1, b: 2 });
    expect(series(c).paths).toBe(2);
    expect(removeSeries(c, { a: 1, b: 2 })).toBe(true);
    expect(series(c).paths).toBe(0);
    c.add(5, { a: 1, b: 3 });
    expect((await points(reader)).c).toEqual([[{ a: 1 }, 5]]);
    await points(reader); // idle for an interval: reclaimed
    expect(series(c).paths).toBe(0);
  });
});
