// Past attributeCountLimit (default 128), which keys are kept depends only on
// the set (the smallest keys in code-unit order, the order attribute sets are
// canonicalised in), never on the caller's key order; and a truncated set is
// cached like any other, so the 129th key costs no more than the 128th.
import { describe, expect, it } from 'vitest';
import { points, selfMetrics, setup } from '../helpers.js';

const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${String(i).padStart(3, '0')}`);
const set = (ks: string[]) => Object.fromEntries(ks.map(k => [k, k]));

describe('attributeCountLimit', () => {
  it('the same 130-key set given in two key orders became two series', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    const ks = keys(130);
    c.add(1, set(ks));
    c.add(1, set([...ks].reverse()));
    const out = (await points(reader)).c;
    expect(out).toHaveLength(1);
    expect(Object.keys(out[0][0]).sort()).toEqual(keys(128));
    expect(out[0][1]).toBe(2);
  });

  it('keeps the smallest keys of the set, whatever the order and the limit', async () => {
    const { meter, reader } = setup({ attributeCountLimit: 2 });
    const c = meter.createCounter('c');
    c.add(1, { c: 3, b: 2, a: 1 });
    c.add(1, { a: 1, c: 3, b: 2 });
    c.add(1, { b: 2, a: 1, z: 0 });
    expect((await points(reader)).c).toEqual([[{ a: 1, b: 2 }, 3]]);
  });

  it('counts every removed key of every measurement, on the cached path too', async () => {
    const { meter, reader } = setup({ attributeCountLimit: 2, selfMetrics: true });
    const c = meter.createCounter('c');
    for (let i = 0; i < 100; i++) c.add(1, { c: 3, b: 2, a: 1, d: 4 });
    const out = await selfMetrics(reader);
    expect(out['fastmeter.attributes.dropped']).toEqual([[{ reason: 'too_many_attributes' }, 200]]);
  });

  it('a set past the limit was never cached: every call took the slow path (a cost cliff at 129 keys)', () => {
    const { meter } = setup();
    const c = meter.createCounter('c');
    const within = set(keys(128));
    const past = set(keys(129));
    // Structural, not timed: a truncated set must be found by the trie (the fast path) after its first
    // measurement, as a set within the limit is. The stream's intern table says whether it was cached.
    c.add(1, within);
    c.add(1, past);
    const series = (c as unknown as Record<symbol, { streams: { series: { paths: number } }[] }>)[
      Object.getOwnPropertySymbols(c).find(s => s.description?.includes('instrument')) as symbol
    ].streams[0].series;
    expect(series.paths).toBe(2); // the 128-key set, and the 129-key walk cached as an alias of the same series
  });
});
