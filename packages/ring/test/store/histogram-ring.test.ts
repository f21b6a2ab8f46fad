import { describe, expect, it } from 'vitest';
import type { Counts } from '../../src/store/counts.js';
import { HistInput, HistogramRing } from '../../src/store/histogram-ring.js';
import { rng } from '../helpers.js';

function counts(c: Counts): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = 0; i < c.n; i++) if (c.c[i] !== 0) out[c.offset + i] = c.c[i];
  return out;
}

function input(buckets: Record<number, number>, scale = 0, neg: Record<number, number> = {}, zero = 0): HistInput {
  const p = new HistInput();
  p.scale = scale;
  p.zero = zero;
  for (const [k, v] of Object.entries(buckets)) if (v !== 0) p.pos.set(Number(k), v);
  for (const [k, v] of Object.entries(neg)) if (v !== 0) p.neg.set(Number(k), v);
  p.count = Object.values(buckets).reduce((a, b) => a + b, 0) + Object.values(neg).reduce((a, b) => a + b, 0) + zero;
  p.sum = p.count * 1.5;
  return p;
}

describe('histogram ring (bucket deltas)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`reconstructs every held point's cumulative buckets, across resets and byte-pressure eviction (seed ${seed})`, () => {
      const r = rng(seed);
      const slots = 20;
      const maxBytes = seed % 2 === 0 ? 96 : 1 << 20;
      const ring = new HistogramRing(slots, false, Float64Array.from([1, 2, 5, 10]), maxBytes);
      const history: { t: number; b: Record<number, number>; reset: boolean }[] = [];
      let cur: Record<number, number> = {};
      for (let step = 0; step < 300; step++) {
        const reset = r() < 0.05;
        if (reset) cur = {};
        const next: Record<number, number> = { ...cur };
        for (let k = 0; k < 5; k++) if (r() < 0.5) next[k] = (next[k] ?? 0) + Math.floor(r() * (r() < 0.1 ? 1e7 : 20));
        cur = next;
        const t = 1000 * (step + 1);
        expect(ring.append(t, input(cur), false)).toBe(true);
        history.push({ t, b: { ...cur }, reset });
        expect(ring.n).toBeLessThanOrEqual(slots);
        const held = history.slice(history.length - ring.n);
        const out = new HistInput();
        for (let i = 0; i < ring.n; i++) {
          expect(ring.t[ring.slot(i)]).toBe(held[i].t);
          ring.cumulativeAt(i, out);
          const want = Object.fromEntries(Object.entries(held[i].b).filter(([, v]) => v !== 0));
          expect(counts(out.pos), `step ${step} point ${i}`).toEqual(want);
          expect(out.count).toBe(Object.values(held[i].b).reduce((a, b) => a + b, 0));
        }
      }
      if (maxBytes === 96) expect(ring.evicted).toBeGreaterThan(0);
      else expect(ring.evicted).toBe(0);
    });
  }

  it('accumulates delta input into cumulative state', () => {
    const ring = new HistogramRing(10, false, Float64Array.from([1, 2]), 1 << 16);
    ring.append(1000, input({ 0: 1, 2: 3 }), true);
    ring.append(2000, input({ 1: 2 }), true);
    ring.append(3000, input({ 0: 4 }), true);
    const out = new HistInput();
    ring.cumulativeAt(2, out);
    expect(counts(out.pos)).toEqual({ 0: 5, 1: 2, 2: 3 });
    expect(out.count).toBe(10);
    ring.cumulativeAt(0, out);
    expect(counts(out.pos)).toEqual({ 0: 1, 2: 3 });
  });

  it('keeps one scale for exponential series: finer points merge down, a coarser point rescales what is held', () => {
    const ring = new HistogramRing(10, true, new Float64Array(0), 1 << 16);
    ring.append(1000, input({ 8: 1, 9: 2, 10: 1 }, 3, { 4: 1 }, 2), false);
    // Scale 2 arrives: everything held is merged to scale 2 (index >> 1).
    ring.append(2000, input({ 4: 4, 5: 2 }, 2, { 2: 2 }, 2), false);
    expect(ring.scale).toBe(2);
    const out = new HistInput();
    ring.cumulativeAt(0, out);
    expect(counts(out.pos)).toEqual({ 4: 3, 5: 1 });
    expect(counts(out.neg)).toEqual({ 2: 1 });
    ring.cumulativeAt(1, out);
    expect(counts(out.pos)).toEqual({ 4: 4, 5: 2 });
    // A finer point is merged down to scale 2 on the way in.
    ring.append(3000, input({ 8: 5, 9: 1, 10: 2, 11: 1 }, 3, { 4: 3 }, 2), false);
    ring.cumulativeAt(2, out);
    expect(counts(out.pos)).toEqual({ 4: 6, 5: 3 });
    expect(counts(out.neg)).toEqual({ 2: 3 });
    expect(out.zero).toBe(2);
  });
});
