// The ring's answers against reference implementations of Prometheus' functions
// (prom-reference.ts), over random series: irregular sampling, gaps, resets.
import { describe, expect, it } from 'vitest';
import { RingBufferReader, aggregate, call, rangeSelector, selector } from '../../src/index.js';
import { T0, explicit, metric, resourceMetrics, rng } from '../helpers.js';
import { type Sample, bucketQuantile, extrapolatedRate, window } from '../prom-reference.js';

function close(a: number | undefined, b: number | undefined, what: string) {
  if (a === undefined || b === undefined) {
    expect(a, what).toBe(b);
    return;
  }
  if (Number.isNaN(b)) {
    expect(a, what).toBeNaN();
    return;
  }
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
}

function randomCounter(seed: number, n: number): Sample[] {
  const r = rng(seed);
  const out: Sample[] = [];
  let t = T0;
  let v = Math.floor(r() * 1000);
  for (let i = 0; i < n; i++) {
    t += r() < 0.1 ? 3000 + Math.floor(r() * 20_000) : 900 + Math.floor(r() * 200);
    v = r() < 0.03 ? Math.floor(r() * 10) : v + Math.floor(r() * 50) + (r() < 0.2 ? 0.5 : 0);
    out.push({ t, v });
  }
  return out;
}

describe('query semantics against reference implementations', () => {
  it('rate, increase, delta and the *_over_time functions agree with Prometheus semantics over 60 random series', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const samples = randomCounter(seed, 250);
      const ring = new RingBufferReader({ slots: 300, compression: seed % 2 === 0 });
      for (const s of samples) ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: s.t, value: s.v }]), metric('g', 'gauge', [{ t: s.t, value: s.v }])]));
      const r = rng(seed * 7);
      for (let k = 0; k < 15; k++) {
        const end = samples[Math.floor(r() * samples.length)].t + Math.floor(r() * 3000) - 1000;
        const range = [10_000, 30_000, 60_000, 300_000][Math.floor(r() * 4)];
        const w = window(samples, end - range, end);
        const q = (e: string) => {
          const res = ring.query(e, { time: end });
          return res.samples.length === 0 ? undefined : res.samples[0].value;
        };
        const d = `seed ${seed} end ${end} range ${range}`;
        close(q(`rate(c[${range / 1000}s])`), extrapolatedRate(w, end - range, end, true, true), `rate ${d}`);
        close(q(`increase(c[${range / 1000}s])`), extrapolatedRate(w, end - range, end, true, false), `increase ${d}`);
        close(q(`delta(g[${range / 1000}s])`), extrapolatedRate(w, end - range, end, false, false), `delta ${d}`);
        const vals = w.map(s => s.v);
        const n = vals.length;
        close(q(`avg_over_time(g[${range / 1000}s])`), n ? vals.reduce((a, b) => a + b, 0) / n : undefined, `avg ${d}`);
        close(q(`sum_over_time(g[${range / 1000}s])`), n ? vals.reduce((a, b) => a + b, 0) : undefined, `sum ${d}`);
        close(q(`min_over_time(g[${range / 1000}s])`), n ? Math.min(...vals) : undefined, `min ${d}`);
        close(q(`max_over_time(g[${range / 1000}s])`), n ? Math.max(...vals) : undefined, `max ${d}`);
        close(q(`count_over_time(g[${range / 1000}s])`), n ? n : undefined, `count ${d}`);
        close(q(`last_over_time(g[${range / 1000}s])`), n ? vals[n - 1] : undefined, `last ${d}`);
        close(q(`resets(c[${range / 1000}s])`), n ? vals.filter((v, i) => i > 0 && v < vals[i - 1]).length : undefined, `resets ${d}`);
        if (n >= 2) {
          const [a, b] = w.slice(-2);
          close(q(`irate(c[${range / 1000}s])`), (b.v < a.v ? b.v : b.v - a.v) / ((b.t - a.t) / 1000), `irate ${d}`);
        }
        // Instant selector: the latest point within the 5-minute lookback.
        const latest = samples.filter(s => s.t <= end && s.t > end - 300_000).pop();
        close(q('g'), latest?.v, `instant ${d}`);
      }
    }
  });

  it('histogram_quantile over rate() of explicit buckets agrees with the classic per-le computation', () => {
    const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const ring = new RingBufferReader();
      const counts = new Array(bounds.length + 1).fill(0);
      const history: { t: number; le: number[] }[] = [];
      let t = T0;
      for (let i = 0; i < 200; i++) {
        t += 950 + Math.floor(r() * 100);
        for (let k = 0; k < 20; k++) {
          const v = Math.exp(r() * 6 - 5);
          const b = bounds.findIndex(x => v <= x);
          counts[b < 0 ? bounds.length : b]++;
        }
        ring.ingest(resourceMetrics([metric('h', 'histogram', [{ t, value: explicit(bounds, [...counts], 1) }])]));
        let acc = 0;
        history.push({ t, le: counts.map(c => (acc += c)) });
      }
      for (const range of [30_000, 60_000, 120_000]) {
        for (const q of [0.5, 0.9, 0.99]) {
          const end = history[history.length - 1 - Math.floor(r() * 50)].t + 500;
          const rated = [...bounds, Number.POSITIVE_INFINITY].map((le, i) => ({
            le,
            count: extrapolatedRate(
              window(
                history.map(h => ({ t: h.t, v: h.le[i] })),
                end - range,
                end,
              ),
              end - range,
              end,
              true,
              true,
            ) as number,
          }));
          const want = bucketQuantile(q, rated);
          const got = ring.query(`histogram_quantile(${q}, rate(h[${range / 1000}s]))`, { time: end }).samples[0].value;
          close(got, want, `seed ${seed} q ${q} range ${range}`);
          // The classic spelling and the native one answer alike.
          const classic = ring.query(`histogram_quantile(${q}, sum by (le) (rate(h_bucket[${range / 1000}s])))`, { time: end }).samples[0].value;
          close(classic, want, `classic seed ${seed}`);
        }
      }
    }
  });

  it('histogram_quantile of an exponential histogram interpolates log-linearly inside the bucket (native semantics)', () => {
    const ring = new RingBufferReader();
    // scale 0: bucket i covers (2^i, 2^(i+1)]. 10 values in (1,2], 30 in (2,4], 60 in (4,8].
    ring.ingest(
      resourceMetrics([
        metric('e', 'exponential_histogram', [
          {
            t: T0,
            value: {
              count: 100,
              sum: 500,
              scale: 0,
              zeroCount: 0,
              positive: { offset: 0, bucketCounts: [10, 30, 60] },
              negative: { offset: 0, bucketCounts: [] },
            },
          },
        ]),
      ]),
    );
    const q = (x: number) => ring.query(`histogram_quantile(${x}, e)`, { time: T0 }).samples[0].value;
    // rank 50 → bucket (4,8], fraction (50-40)/60 → 2^(2 + 1/6).
    close(q(0.5), 2 ** (2 + 10 / 60), 'p50');
    close(q(0.1), 2, 'p10 at a bucket edge');
    close(q(0.05), 2 ** 0.5, 'p5');
    expect(q(1.5)).toBe(Number.POSITIVE_INFINITY);
    expect(q(-1)).toBe(Number.NEGATIVE_INFINITY);
    // Many seeds: the answer always lies in the bucket holding the true quantile of the raw values.
    for (let seed = 1; seed <= 50; seed++) {
      const r = rng(seed);
      const scale = Math.floor(r() * 4);
      const base = 2 ** (2 ** -scale);
      const values = Array.from({ length: 500 }, () => Math.exp(r() * 8 - 2));
      const idx = (v: number) => Math.ceil(Math.log(v) / Math.log(base)) - 1;
      const min = Math.min(...values.map(idx));
      const bucketCounts = new Array(Math.max(...values.map(idx)) - min + 1).fill(0);
      for (const v of values) bucketCounts[idx(v) - min]++;
      const ring2 = new RingBufferReader();
      ring2.ingest(
        resourceMetrics([
          metric('e', 'exponential_histogram', [
            { t: T0, value: { count: 500, sum: 1, scale, zeroCount: 0, positive: { offset: min, bucketCounts }, negative: { offset: 0, bucketCounts: [] } } },
          ]),
        ]),
      );
      for (const q of [0.5, 0.9, 0.99]) {
        const sorted = [...values].sort((a, b) => a - b);
        const truth = sorted[Math.ceil(q * 500) - 1];
        const got = ring2.query(`histogram_quantile(${q}, e)`, { time: T0 }).samples[0].value;
        const i = idx(truth);
        expect(got).toBeGreaterThanOrEqual(base ** i * (1 - 1e-12));
        expect(got).toBeLessThanOrEqual(base ** (i + 1) * (1 + 1e-12));
      }
    }
  });

  it('aggregates: sum/avg/min/max/count by and without, topk, quantile; histograms sum bucket-wise', () => {
    const ring = new RingBufferReader();
    const pts = [
      { route: '/a', code: '200', v: 1 },
      { route: '/a', code: '500', v: 2 },
      { route: '/b', code: '200', v: 3 },
      { route: '/b', code: '500', v: 4 },
    ];
    ring.ingest(
      resourceMetrics([
        metric(
          'g',
          'gauge',
          pts.map(p => ({ t: T0, value: p.v, attrs: { route: p.route, code: p.code } })),
        ),
        metric(
          'h',
          'histogram',
          pts.map(p => ({ t: T0, value: explicit([1, 2], [p.v, 1, 0], 1), attrs: { route: p.route, code: p.code } })),
        ),
      ]),
    );
    const by = (e: string) => Object.fromEntries(ring.query(e, { time: T0 }).samples.map(s => [JSON.stringify(s.labels), s.value]));
    expect(by('sum by (route) (g)')).toEqual({ '{"route":"/a"}': 3, '{"route":"/b"}': 7 });
    expect(by('avg without (route, service.name) (g)')).toEqual({ '{"code":"200"}': 2, '{"code":"500"}': 3 });
    expect(by('max(g)')).toEqual({ '{}': 4 });
    expect(by('count by (code) (g)')).toEqual({ '{"code":"200"}': 2, '{"code":"500"}': 2 });
    expect(by('quantile(0.5, g)')).toEqual({ '{}': 2.5 });
    expect(ring.query('topk(2, g)', { time: T0 }).samples.map(s => s.value)).toEqual([4, 3]);
    const h = ring.query('sum by (code) (h)', { time: T0 }).samples.find(s => s.labels.code === '200');
    expect(h?.histogram?.buckets?.counts).toEqual([4, 2, 0]);
    // The typed form builds the same expression.
    const typed = ring.query(aggregate('sum', selector('g'), { by: ['route'] }), { time: T0 });
    expect(typed.samples.map(s => s.value).sort()).toEqual([3, 7]);
  });

  it('arithmetic and comparisons: scalar/vector, vector/vector one-to-one, filters and bool', () => {
    const ring = new RingBufferReader();
    ring.ingest(
      resourceMetrics([
        metric('a', 'gauge', [
          { t: T0, value: 10, attrs: { k: '1' } },
          { t: T0, value: 20, attrs: { k: '2' } },
        ]),
        metric('b', 'gauge', [
          { t: T0, value: 2, attrs: { k: '1' } },
          { t: T0, value: 4, attrs: { k: '2' } },
        ]),
      ]),
    );
    const vals = (e: string) => ring.query(e, { time: T0 }).samples.map(s => s.value);
    expect(vals('a / b')).toEqual([5, 5]);
    expect(vals('a * 2 + 1')).toEqual([21, 41]);
    expect(vals('100 - a')).toEqual([90, 80]);
    expect(vals('a > 15')).toEqual([20]);
    expect(vals('a > bool 15')).toEqual([0, 1]);
    expect(vals('-a')).toEqual([-10, -20]);
    expect(ring.query('2 ^ 10', { time: T0 })).toMatchObject({ type: 'scalar', samples: [{ value: 1024 }] });
    expect(vals('clamp_max(a, 12)')).toEqual([10, 12]);
    expect(vals('round(a / 3, 0.1)')).toEqual([3.3, 6.7]);
  });

  it('EWMA rates follow the load-average formula and converge to a steady rate', () => {
    const ring = new RingBufferReader({ slots: 1000 });
    let v = 0;
    let ewma1 = 0;
    let ready = false;
    for (let i = 1; i <= 600; i++) {
      const rate = i <= 300 ? 10 : 20;
      v += rate;
      ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: T0 + i * 1000, value: v }])]));
      if (i > 1) {
        if (!ready) {
          ewma1 = rate;
          ready = true;
        } else ewma1 += (1 - Math.exp(-1 / 60)) * (rate - ewma1);
      }
    }
    const t = T0 + 600_000;
    const one = ring.query('ewma_rate_1m(c)', { time: t }).samples[0].value;
    close(one, ewma1, 'ewma 1m');
    expect(one).toBeGreaterThan(19.9);
    const five = ring.query('ewma_rate_5m(c)', { time: t }).samples[0].value;
    const fifteen = ring.query('ewma_rate_15m(c)', { time: t }).samples[0].value;
    // After 5 minutes at 20/s: 5m is 1 - 1/e of the way from 10, 15m about 28 %.
    close(five, 20 - 10 * Math.exp(-300 / 300), 'ewma 5m');
    expect(fifteen).toBeGreaterThan(12.5);
    expect(fifteen).toBeLessThan(13.2);
    // At an earlier time the average is replayed from the points held.
    const earlier = ring.query(call('ewma_rate_1m', selector('c')), { time: T0 + 300_000 }).samples[0].value;
    expect(earlier).toBeCloseTo(10, 6);
  });

  it('range queries evaluate every step and return one series per label set', () => {
    const ring = new RingBufferReader();
    for (let i = 1; i <= 120; i++) ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: T0 + i * 1000, value: i * 5, attrs: { k: 'x' } }])]));
    const res = ring.query('rate(c[10s])', { time: T0 + 120_000, range: '1m', step: '10s' });
    expect(res.type).toBe('matrix');
    expect(res.series).toHaveLength(1);
    expect(res.series[0].times).toEqual(Array.from({ length: 7 }, (_, i) => T0 + 60_000 + i * 10_000));
    for (const v of res.series[0].values) close(v, 5, 'rate');
    const typed = ring.query(call('rate', rangeSelector('c', 10_000)), { time: T0 + 120_000, range: 60_000, step: 10_000 });
    expect(typed.series[0].values).toEqual(res.series[0].values);
    expect(() => ring.query('c', { time: T0, range: '1d', step: '1ms' })).toThrow(/steps/);
  });
});
