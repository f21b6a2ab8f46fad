import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from '../../src/store/bits.js';
import { XorState, decodePoint, encodePoint, stateValue } from '../../src/store/xor-codec.js';
import { rng } from '../helpers.js';

function roundTrip(ts: number[], vs: number[]): { t: number[]; v: number[]; bits: number } {
  const w = new BitWriter(16);
  const s = new XorState();
  for (let i = 0; i < ts.length; i++) encodePoint(w, s, ts[i], vs[i]);
  const r = new BitReader();
  r.reset(w.buf, 0, w.pos);
  const d = new XorState();
  d.t = ts[0];
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < ts.length; i++) {
    decodePoint(r, d);
    t.push(d.t);
    v.push(stateValue(d));
  }
  expect(r.pos).toBe(w.pos);
  return { t, v, bits: w.pos };
}

describe('XOR codec (delta-of-delta times, XOR values)', () => {
  it('round-trips every value bit-exactly, including NaN, infinities, -0, subnormals and huge jumps, over many seeds', () => {
    const specials = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      0,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      1e-300,
      2 ** 53,
    ];
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const n = 1 + Math.floor(r() * 300);
      const ts: number[] = [];
      const vs: number[] = [];
      let t = Math.floor(r() * 2 ** 31);
      for (let i = 0; i < n; i++) {
        const jump = r();
        t +=
          jump < 0.6
            ? 1000 + Math.floor(r() * 7) - 3
            : jump < 0.8
              ? Math.floor(r() * 3000)
              : jump < 0.95
                ? Math.floor(r() * 2 ** 20)
                : Math.floor(r() * 2 ** 30);
        if (t > 2 ** 32 - 1) t = 2 ** 32 - 1;
        ts.push(t);
        const kind = r();
        vs.push(
          kind < 0.1
            ? specials[Math.floor(r() * specials.length)]
            : kind < 0.5
              ? Math.floor(r() * 1e6)
              : kind < 0.8
                ? (r() - 0.5) * 10 ** Math.floor(r() * 20 - 10)
                : (vs[i - 1] ?? 0),
        );
      }
      const out = roundTrip(ts, vs);
      expect(out.t).toEqual(ts);
      for (let i = 0; i < n; i++) expect(Object.is(out.v[i], vs[i]), `seed ${seed} #${i}: ${vs[i]} -> ${out.v[i]}`).toBe(true);
    }
  });

  it('round-trips times at every delta-of-delta bucket edge', () => {
    const edges = [0, 1, -1, 7, 8, -8, -9, 63, 64, -64, -65, 2047, 2048, -2048, -2049, 524287, 524288, -524288, -524289, 2 ** 31, -(2 ** 31)];
    for (const dod of edges) {
      const base = 2 ** 31;
      const ts = [base, base + 1000, base + 2000 + dod, base + 3000 + dod, base + 4000 + dod];
      const out = roundTrip(ts, [1, 2, 3, 4, 5]);
      expect(out.t, `dod ${dod}`).toEqual(ts);
    }
  });

  it('takes under 4 bytes per point for a counter sampled every second with a few ms of jitter', () => {
    const r = rng(7);
    const ts: number[] = [];
    const vs: number[] = [];
    let v = 1e6;
    for (let i = 0; i < 1000; i++) {
      ts.push(1_000_000 + i * 1000 + Math.floor(r() * 5));
      v += Math.floor(r() * 100);
      vs.push(v);
    }
    const { bits } = roundTrip(ts, vs);
    expect(bits / 8 / 1000).toBeLessThan(4);
  });

  it('takes about 2 bits per point for a constant gauge at a steady interval', () => {
    const ts = Array.from({ length: 1000 }, (_, i) => 5000 + i * 1000);
    const vs = ts.map(() => 42.5);
    const { bits } = roundTrip(ts, vs);
    expect(bits / 1000).toBeLessThan(2.5);
  });
});
