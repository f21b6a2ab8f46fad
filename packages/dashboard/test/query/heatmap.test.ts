// Per-bucket rates for the heatmap, from cumulative snapshots.
import { describe, expect, it } from 'vitest';
import { bucketRates } from '../../src/query/heatmap.js';

const explicit = (counts: number[]) => ({ count: counts.reduce((a, b) => a + b, 0), buckets: { boundaries: [1, 5], counts } });

describe('bucketRates', () => {
  it('rates each bucket per second, sums series, handles resets', () => {
    const a = { times: [1000, 2000, 3000, 4000], histograms: [explicit([1, 0, 0]), explicit([3, 1, 0]), explicit([5, 1, 2]), explicit([1, 0, 0])] };
    const b = { times: [1000, 2000, 3000, 4000], histograms: [explicit([0, 0, 0]), explicit([0, 2, 0]), explicit([0, 4, 0]), explicit([0, 6, 0])] };
    const rows = bucketRates([a, b], 2000, 4000, 1000);
    expect(rows.map(r => r.le)).toEqual(['1', '5', '+Inf']);
    expect(rows[0].timestamps).toEqual([2000, 3000, 4000]);
    expect(rows[0].values).toEqual([2, 2, 1]); // 1→3→5, then a reset to 1 counts as 1
    expect(rows[1].values).toEqual([3, 2, 2]); // a: 0→1→1→0 (reset: 0), b: 0→2→4→6
    expect(rows[2].values).toEqual([0, 2, 0]);
  });

  it('maps exponential buckets to their upper bounds', () => {
    const h = (n: number) => ({ count: n + 1, scale: 0, zeroCount: 1, positive: { offset: 1, bucketCounts: [n] } });
    const rows = bucketRates([{ times: [0, 1000], histograms: [h(0), h(4)] }], 1000, 1000, 1000);
    expect(rows).toEqual([
      { le: '0', timestamps: [1000], values: [0] },
      { le: '4', timestamps: [1000], values: [4] }, // bucket index 1 at scale 0: (2, 4]
    ]);
  });
});
