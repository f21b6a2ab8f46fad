// The wire format (src/protocol): numbers, strings and attribute sets survive
// the round trip exactly; a truncated or malformed body is a ProtocolError.
import { describe, expect, it } from 'vitest';
import { StringList, StringTable, readAttributes, writeAttributes } from '../src/protocol/sync.js';
import { ProtocolError, Reader, Writer, uvarSize } from '../src/protocol/wire.js';

const NUMBERS = [
  0,
  1,
  -1,
  63,
  64,
  -64,
  127,
  128,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 50,
  -(2 ** 50),
  2 ** 50 + 1,
  -(2 ** 50) - 1,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  0.1,
  -2.5,
  1e-300,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  -0,
];

describe('wire', () => {
  it('round-trips numbers exactly (integers compactly, everything else as doubles, -0 and NaN included)', () => {
    const w = new Writer(8);
    for (const n of NUMBERS) w.num(n);
    const r = new Reader(w.take());
    for (const n of NUMBERS) expect(Object.is(r.num(), n), `${n}`).toBe(true);
    expect(r.done).toBe(true);
  });

  it('takes one byte for small integer deltas and 9 for a fraction', () => {
    for (const [n, size] of [
      [0, 1],
      [1, 1],
      [-16, 1],
      [31, 1],
      [32, 2],
      [1000, 2],
      [0.5, 9],
    ] as const) {
      const w = new Writer();
      w.num(n);
      expect(w.pos, `${n}`).toBe(size);
    }
  });

  it('round-trips varints up to 2^53 and strings of any length and script', () => {
    const w = new Writer(4);
    const ints = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 45 + 7, 2 ** 53];
    const strings = ['', 'a', 'é', '日本語', '😀 emoji', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(100_000), '\u0000nul'];
    for (const i of ints) w.uvar(i);
    for (const s of strings) w.str(s);
    const r = new Reader(w.take());
    for (const i of ints) expect(r.uvar()).toBe(i);
    for (const s of strings) expect(r.str()).toBe(s);
    expect(r.done).toBe(true);
    for (const i of ints) {
      const one = new Writer();
      one.uvar(i);
      expect(one.pos).toBe(uvarSize(i));
    }
  });

  it('rejects truncated input with a ProtocolError', () => {
    const w = new Writer();
    w.str('hello');
    w.f64(1.5);
    const bytes = w.take();
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = new Reader(bytes.subarray(0, cut));
      expect(() => {
        r.str();
        r.f64();
      }).toThrow(ProtocolError);
    }
    expect(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).uvar()).toThrow(ProtocolError);
    expect(() => new Reader(new Uint8Array([3])).num()).toThrow(ProtocolError);
  });
});

describe('attribute sets', () => {
  const SETS = [
    {},
    { 'http.route': '/cart', 'http.response.status_code': 200, ok: true, retried: false },
    { list: ['a', 'b', null, ''], nums: [1, 2.5, -3], flags: [true, false], empty: [] },
    { '200': 'numeric-looking key first', b: 'x' },
    { long: 'v'.repeat(1000), unicode: 'ü€😀' },
  ];

  it('round-trip exactly, keys and values in their order', () => {
    const table = new StringTable();
    const list = new StringList();
    const w = new Writer(16);
    for (const set of SETS) writeAttributes(w, table, Object.keys(set), Object.values(set));
    const r = new Reader(w.take());
    for (const set of SETS) {
      const back = readAttributes(r, list);
      expect(back).toEqual(set);
      expect(Object.keys(back)).toEqual(Object.keys(set));
    }
    expect(r.done).toBe(true);
  });

  it('send each string once per session', () => {
    const table = new StringTable();
    const w = new Writer();
    writeAttributes(w, table, ['http.route'], ['/a-rather-long-route-name']);
    const first = w.pos;
    writeAttributes(w, table, ['http.route'], ['/a-rather-long-route-name']);
    expect(w.pos - first).toBe(4); // count, key ref, tag, value ref
    const list = new StringList();
    const r = new Reader(w.take());
    expect(readAttributes(r, list)).toEqual(readAttributes(r, list));
  });

  it('reject an unknown string reference, a bad tag, and __proto__ keys do not pollute', () => {
    expect(() => readAttributes(new Reader(new Uint8Array([1, 9, 0])), new StringList())).toThrow(ProtocolError);
    const w = new Writer();
    w.uvar(1);
    w.u8(0);
    w.str('k');
    w.u8(42);
    expect(() => readAttributes(new Reader(w.take()), new StringList())).toThrow(/bad attribute value tag 42/);
    const p = new Writer();
    writeAttributes(p, new StringTable(), ['__proto__', 'a'], ['x', 1]);
    const back = readAttributes(new Reader(p.take()), new StringList());
    expect(back).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});
