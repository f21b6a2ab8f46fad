import { describe, expect, it } from 'vitest';
import { ChunkArena } from '../../src/store/arena.js';
import { CompressedLanes } from '../../src/store/compressed-lanes.js';
import { PlainLanes } from '../../src/store/plain-lanes.js';
import { PointBuffer, type ScalarStore, WindowSummary } from '../../src/store/scalar-store.js';
import { rng } from '../helpers.js';

/** The ring's contract, checked against a plain array holding the last `slots` points. */
function exercise(make: () => ScalarStore, seed: number, exact: boolean, value: (r: () => number, last: number | undefined) => number = counterValue) {
  const r = rng(seed);
  const store = make();
  const S = store.slots;
  const lanes: { id: number; pts: { t: number; v: number }[] }[] = [];
  for (let k = 0; k < 5; k++) lanes.push({ id: store.allocate(), pts: [] });
  const buf = new PointBuffer(4);
  const sum = new WindowSummary();
  for (let step = 0; step < 1500; step++) {
    const lane = lanes[Math.floor(r() * lanes.length)];
    const last = lane.pts[lane.pts.length - 1];
    const t = (last?.t ?? 1000) + 1 + Math.floor(r() * 2000);
    const v = value(r, last?.v);
    if (last !== undefined && r() < 0.03) {
      store.replaceLast(lane.id, v);
      last.v = v;
    } else {
      store.append(lane.id, t, v);
      lane.pts.push({ t, v });
    }
    if (r() < 0.01) {
      // A lane reclaimed and handed out again starts empty.
      store.free(lane.id);
      lane.id = store.allocate();
      lane.pts = [];
    }
    if (step % 50 !== 0) continue;
    for (const l of lanes) {
      const held = store.size(l.id);
      // Plain holds exactly the last S; compressed at least S (whole chunks are dropped).
      const expected = Math.min(l.pts.length, S);
      if (exact) expect(held).toBe(expected);
      else expect(held).toBeGreaterThanOrEqual(expected);
      const kept = l.pts.slice(l.pts.length - held);
      if (kept.length === 0) {
        expect(store.lastTime(l.id)).toBe(-1);
        continue;
      }
      expect(store.lastTime(l.id)).toBe(kept[kept.length - 1].t);
      expect(store.lastValue(l.id)).toBe(kept[kept.length - 1].v);
      expect(store.firstTime(l.id)).toBe(kept[0].t);
      const a = kept[Math.floor(r() * kept.length)].t - Math.floor(r() * 3);
      const b = a + Math.floor(r() * 200_000);
      const want = kept.filter(p => p.t > a && p.t <= b);
      store.read(l.id, a, b, 10, buf);
      expect(Array.from(buf.t.subarray(0, buf.n))).toEqual(want.map(p => p.t + 10));
      expect(Array.from(buf.v.subarray(0, buf.n))).toEqual(want.map(p => p.v));
      store.summarize(l.id, a, b, sum);
      expect(sum.n).toBe(want.length);
      if (want.length > 0) {
        expect([sum.t0, sum.v0, sum.t1, sum.v1]).toEqual([want[0].t, want[0].v, want[want.length - 1].t, want[want.length - 1].v]);
        let corr = 0;
        for (let i = 1; i < want.length; i++) if (want[i].v < want[i - 1].v) corr += want[i - 1].v;
        expect(sum.resetCorrection).toBe(corr);
      }
      const at = { t: 0, v: 0 };
      const before = kept.filter(p => p.t <= b).pop();
      expect(store.at(l.id, b, at)).toBe(before !== undefined);
      if (before !== undefined) expect(at).toEqual(before);
    }
  }
  const total = lanes.reduce((n, l) => n + store.size(l.id), 0);
  expect(store.points()).toBe(total);
}

/** A counter: integer increments, now and then a reset. */
function counterValue(r: () => number, last: number | undefined): number {
  return r() < 0.05 ? Math.floor(r() * 10) : (last ?? 0) + Math.floor(r() * 50);
}

const SPECIALS = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  2 ** 51,
  -(2 ** 51),
  2 ** 51 + 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 60),
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
];

/** Every kind of double in runs: integer counters and gauges, huge integers, floats, specials, switching within chunks. */
function mixedValue(r: () => number, last: number | undefined): number {
  const k = r();
  if (k < 0.35 && last !== undefined && Number.isFinite(last)) return last + Math.floor(r() * 200) - (r() < 0.3 ? 150 : 0);
  if (k < 0.45) return last ?? 0;
  if (k < 0.55) return SPECIALS[Math.floor(r() * SPECIALS.length)];
  if (k < 0.65) return Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 62)));
  if (k < 0.8) return (r() - 0.5) * 10 ** Math.floor(r() * 12 - 4);
  return Math.floor(r() * 1000);
}

describe('scalar lanes', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`plain layout keeps exactly the last slots points (seed ${seed})`, () => exercise(() => new PlainLanes(37), seed, true));
    it(`compressed layout answers exactly as the points it holds (seed ${seed})`, () => exercise(() => new CompressedLanes(37, 4, 16), seed, false));
  }

  for (const seed of [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]) {
    it(`compressed layout returns every double bit-exactly: integers, huge integers, negatives, resets, -0, NaN, ±Infinity, floats mixed in chunks (seed ${seed})`, () => {
      exercise(() => new CompressedLanes(37, 1 + (seed % 4), 8), seed, false, mixedValue);
      exercise(() => new PlainLanes(37), seed, true, mixedValue);
    });
  }

  it('compressed layout round-trips a 4,096-point chunk of the costliest codes', () => {
    const r = rng(99);
    const store = new CompressedLanes(4096, 4, 4096);
    const lane = store.allocate();
    const ts: number[] = [];
    const vs: number[] = [];
    let t = 0;
    for (let i = 0; i < 4100; i++) {
      // Intervals alternating 1 ms and 2^20 ms (36-bit time codes); integer and float mode alternating.
      t += i % 2 === 0 ? 1 : 2 ** 20;
      ts.push(t);
      vs.push(i % 2 === 0 ? (r() - 0.5) * 2 ** -Math.floor(r() * 900) : Math.floor((r() - 0.5) * 2 ** 52));
    }
    for (let i = 0; i < ts.length; i++) store.append(lane, ts[i], vs[i]);
    expect(store.arena.used).toBeGreaterThan(40_000);
    const buf = new PointBuffer(4);
    const n = store.read(lane, -1, 2 ** 33, 0, buf);
    expect(n).toBe(store.size(lane));
    const held = vs.slice(vs.length - n);
    for (let i = 0; i < n; i++) expect(Object.is(buf.v[i], held[i]), `#${i}`).toBe(true);
    expect(Array.from(buf.t.subarray(0, n))).toEqual(ts.slice(ts.length - n));
  });

  it('the chunk arena gives a block larger than a page a page of its own, and reuses it once freed', () => {
    const arena = new ChunkArena();
    const small = arena.alloc(100);
    const big = arena.alloc(ChunkArena.PAGE_SIZE + 5000);
    expect(arena.offset(big)).toBe(0);
    expect(arena.page(big).length).toBeGreaterThanOrEqual(ChunkArena.PAGE_SIZE + 5000);
    expect(arena.page(small)).not.toBe(arena.page(big));
    expect(arena.bytes()).toBe(ChunkArena.PAGE_SIZE + arena.page(big).length);
    arena.page(big).fill(7);
    const cls = arena.lastClass;
    arena.free(big, cls);
    expect(arena.alloc(ChunkArena.PAGE_SIZE + 4999)).toBe(big);
    // The next small block still comes from the first page.
    expect(arena.page(arena.alloc(100))).toBe(arena.page(small));
  });

  it('compressed layout drops whole chunks: holds between slots and slots + chunkSlots points', () => {
    const store = new CompressedLanes(100, 16, 32);
    const lane = store.allocate();
    for (let i = 0; i < 1000; i++) {
      store.append(lane, 1000 + i * 1000, i * 3);
      if (i >= 100) {
        expect(store.size(lane)).toBeGreaterThanOrEqual(100);
        expect(store.size(lane)).toBeLessThan(100 + 32 + 16);
      }
    }
  });

  it('rebase moves times back and drops points older than the new epoch', () => {
    for (const store of [new PlainLanes(10), new CompressedLanes(10, 2, 8)]) {
      const lane = store.allocate();
      for (let i = 0; i < 20; i++) store.append(lane, 1000 * (i + 1), i);
      const held = store.size(lane);
      store.rebase(15_500);
      const buf = new PointBuffer(4);
      const n = store.read(lane, -1, 1e9, 0, buf);
      const times = Array.from(buf.t.subarray(0, n));
      expect(times.every(t => t >= 0)).toBe(true);
      expect(times[times.length - 1]).toBe(20_000 - 15_500);
      expect(n).toBeLessThanOrEqual(held);
      expect(Array.from(buf.v.subarray(0, n))).toEqual(times.map(t => (t + 15_500) / 1000 - 1));
    }
  });
});
