// Held delta points are merged per series; the merge of two intervals must
// equal what the SDK exports when the same measurements fall in one interval.
// Checked against the SDK's own aggregation (a cumulative reader next to a
// delta one) for explicit and exponential histograms over random inputs.
import { describe, expect, it } from 'vitest';
import { AggregationType, type ExponentialHistogram, type MetricData } from '@fastmeter/sdk';
import { BreakerState, CircuitBreakerExporter } from '@fastmeter/processors';
import { TestReader, deltaReader, seeded, setup } from '../helpers.js';
import { ScriptedExporter, exportOnce } from './scripted.js';

function pointOf(rm: { scopeMetrics: { metrics: MetricData[] }[] }, name: string): unknown {
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name === name) return m.dataPoints[0]?.value;
  throw new Error(`no ${name}`);
}

/** Values spread over `decades` powers of ten, with zeros and (optionally) negatives. */
function values(random: () => number, n: number, decades: number, negatives: boolean): number[] {
  return Array.from({ length: n }, () => {
    const r = random();
    if (r < 0.05) return 0;
    const v = 10 ** (random() * decades - decades / 2);
    return negatives && random() < 0.3 ? -v : v;
  });
}

describe('merging held delta points', () => {
  for (const kind of ['exponential', 'explicit'] as const) {
    it(`${kind} histograms: merged intervals equal one interval of the same measurements (200 random cases)`, async () => {
      for (let seed = 1; seed <= 200; seed++) {
        const random = seeded(seed);
        const delta = deltaReader();
        const cumulative = new TestReader();
        const aggregation = kind === 'exponential' ? { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 40 + (seed % 260) } } : undefined;
        const { meter } = setup({ readers: [delta, cumulative], views: aggregation ? [{ instrumentName: 'g', aggregation }] : [] });
        // a gauge-like histogram instrument (UpDownCounter-free): plain histogram with negatives for exponential
        const h = meter.createHistogram('g');
        const inner = new ScriptedExporter();
        inner.mode = 'fail';
        const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 1_000_000 });
        const intervals = 1 + (seed % 4);
        for (let i = 0; i < intervals; i++) {
          const decades = 1 + ((seed + i) % 12);
          for (const v of values(random, 1 + Math.floor(random() * 50), decades, false)) h.record(v);
          await exportOnce(breaker, (await delta.collect()).resourceMetrics);
        }
        inner.mode = 'ok';
        await exportOnce(breaker, { ...(await delta.collect()).resourceMetrics, scopeMetrics: [] });
        expect(breaker.state).toBe(BreakerState.CLOSED);
        const merged = pointOf(inner.received[0] as never, 'g');
        const whole = pointOf((await cumulative.collect()).resourceMetrics as never, 'g');
        if (kind === 'exponential') {
          // Held points keep up to 160 buckets per sign (the default maxSize; the configured one is not in
          // the data), so the scales may differ: compare at the coarser one.
          const coarser = Math.min((merged as ExponentialHistogram).scale, (whole as ExponentialHistogram).scale);
          const m = downscale(merged as ExponentialHistogram, coarser);
          const w = downscale(whole as ExponentialHistogram, coarser);
          if (seed % 260 === 120) expect((merged as ExponentialHistogram).scale).toBe((whole as ExponentialHistogram).scale); // maxSize 160
          expect({ ...m, positive: trim(m.positive), negative: trim(m.negative), sum: undefined }, `seed ${seed}`).toEqual({
            ...w,
            positive: trim(w.positive),
            negative: trim(w.negative),
            sum: undefined,
          });
          expect(m.sum).toBeCloseTo(w.sum as number, 6);
        } else {
          expect({ ...(merged as object), sum: undefined }, `seed ${seed}`).toEqual({ ...(whole as object), sum: undefined });
          expect((merged as { sum: number }).sum).toBeCloseTo((whole as { sum: number }).sum, 6);
        }
      }
    });
  }
});

function trim(side: { offset: number; bucketCounts: number[] }): { offset: number; bucketCounts: number[] } {
  let start = 0;
  let end = side.bucketCounts.length;
  while (start < end && side.bucketCounts[start] === 0) start++;
  while (end > start && side.bucketCounts[end - 1] === 0) end--;
  return start === end ? { offset: 0, bucketCounts: [] } : { offset: side.offset + start, bucketCounts: side.bucketCounts.slice(start, end) };
}

/** `h` at `scale` (if coarser than its own): bucket i becomes i >> (h.scale - scale). */
function downscale(h: ExponentialHistogram, scale: number): ExponentialHistogram {
  if (scale >= h.scale || h.count === h.zeroCount) return { ...h, scale: h.count === h.zeroCount ? h.scale : scale };
  const side = (s: { offset: number; bucketCounts: number[] }) => {
    const t = trim(s);
    if (t.bucketCounts.length === 0) return t;
    const shift = h.scale - scale;
    const low = t.offset >> shift;
    const out = new Array(((t.offset + t.bucketCounts.length - 1) >> shift) - low + 1).fill(0);
    t.bucketCounts.forEach((c, i) => {
      out[((t.offset + i) >> shift) - low] += c;
    });
    return { offset: low, bucketCounts: out };
  };
  return { ...h, scale, positive: side(h.positive), negative: side(h.negative) };
}
