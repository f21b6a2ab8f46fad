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

describe('point codec (times against the previous interval or its grid; integer differences or XOR values)', () => {
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

  it('round-trips times at every bucket edge, on and off the 10 ms grid', () => {
    const edges = [0, 1, -1, 3, 4, 5, -4, -5, 7, 8, -8, -9, 63, 64, -64, -65, 2047, 2048, -2048, -2049, 524287, 524288, -524288, -524289, 2 ** 31, -(2 ** 31)];
    for (const step of [1000, 997, 1004, 1234, 15, 95, 105, 60_000])
      for (const dod of edges) {
        const base = 2 ** 31;
        const ts = [base, base + step, base + 2 * step + dod, base + 3 * step + dod, base + 4 * step + dod, base + 5 * step + 2 * dod];
        const out = roundTrip(ts, [1, 2, 3, 4, 5, 6]);
        expect(out.t, `step ${step} dod ${dod}`).toEqual(ts);
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

  it('integer mode: round-trips differences at every width edge, both signs, and values at ±2^51 and just past it', () => {
    const vs: number[] = [0];
    for (let k = 0; k <= 52; k++) {
      for (const d of [2 ** k - 1, 2 ** k, -(2 ** k), -(2 ** k) + 1]) {
        const next = vs[vs.length - 1] + d;
        vs.push(Math.abs(next) <= 2 ** 51 ? next : d > 0 ? 2 ** 51 : -(2 ** 51));
      }
    }
    vs.push(2 ** 51, 2 ** 51 + 1, -(2 ** 51), -(2 ** 51) - 1, 2 ** 51 - 1, 0, -0, 0, 1, -0, Number.NaN, 5, 5.5, 6, 7);
    const ts = vs.map((_, i) => 1000 + i * 1000);
    const out = roundTrip(ts, vs);
    for (let i = 0; i < vs.length; i++) expect(Object.is(out.v[i], vs[i]), `#${i}: ${vs[i]} -> ${out.v[i]}`).toBe(true);
  });

  it('integer mode: a counter of integer increments takes under 2 bytes per point, an idle one about 2 bits', () => {
    const r = rng(11);
    const ts: number[] = [];
    const busy: number[] = [];
    let v = 123_456;
    for (let i = 0; i < 1000; i++) {
      ts.push(1_000_000 + i * 1000 + Math.floor(r() * 5));
      v += Math.floor(r() * 101);
      busy.push(v);
    }
    expect(roundTrip(ts, busy).bits / 8 / 1000).toBeLessThan(2);
    const steady = ts.map((_, i) => 1_000_000 + i * 1000);
    expect(
      roundTrip(
        steady,
        steady.map(() => 42),
      ).bits / 1000,
    ).toBeLessThan(2.5);
  });

  it('integer mode: a gauge moving up and down by a few units takes under 1.5 bytes per point', () => {
    const r = rng(12);
    let v = 40;
    const vs = Array.from({ length: 1000 }, () => (v += Math.floor(r() * 7) - 3));
    const ts = vs.map((_, i) => 5000 + i * 1000);
    expect(roundTrip(ts, vs).bits / 8 / 1000).toBeLessThan(1.5);
  });

  it('float mode: a slowly changing float gauge stays under 4 bytes per point', () => {
    const r = rng(13);
    let v = 21.5;
    const vs = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? (v += (r() - 0.5) * 0.1) : v));
    const ts = vs.map((_, i) => 5000 + i * 1000 + Math.floor(r() * 3));
    expect(roundTrip(ts, vs).bits / 8 / 1000).toBeLessThan(4);
  });
});
