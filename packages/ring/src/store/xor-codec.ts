// The compressed layout's point code: times against the previous interval,
// values by integer difference or by XOR, after Gorilla (Pelkonen et al.,
// VLDB 2015 §4.1), Prometheus' XOR chunks and M3TSZ's integer mode.
//
// Times (ms): delta = t - t₋₁, against the previous delta, or else against it rounded to a
// 10 ms grid (a collection every second with a few ms of jitter is 1000 ± j; the grid takes
// the jitter of one point instead of two, as delta-of-delta would):
//   delta = delta₋₁            '0'
//   v = delta - grid(delta₋₁):
//   0                          '10'
//   ±[1, 4]                    '110'    + sign + 2 bits
//   [-64, 63]                  '1110'   + 7 bits (two's complement)
//   [-2048, 2047]              '11110'  + 12 bits
//   [-2^19, 2^19-1]            '111110' + 20 bits
//   otherwise                  '111111' + 36 bits
//
// Values: integer mode while values are integers within ±2^51 (not -0): the difference d to
// the previous value, unsigned or zigzagged, in the lane's current width (encodeInt):
//   fits                       '0'  + width bits
//   new sign mode / width      '10' + sign bit + 6 bits width + the bits
//   anything else              '11' + the XOR code below, and float mode from this point
// Float mode, Gorilla's XOR code of x = bits(v) XOR bits(v₋₁):
//   0                          '0'
//   fits the previous window   '10'  + the window's meaningful bits
//   otherwise                  '11'  + 5 bits leading zeros + 6 bits length + meaningful bits
//   back to integer mode       '11'  + 31 + 63 (a window no XOR has) + an integer code
// Every double round-trips bit-exactly: NaN payloads, -0, ±Infinity and huge integers
// take the XOR path.
//
// The first point of a chunk: its time is the chunk's (kept beside it), its value an
// integer ('0' + 6 bits width + zigzag) or raw ('1' + 64 bits).
// Counters of integer increments sampled every second: ~1.7 bytes per point (bench/ring.mjs).
import { type BitReader, type BitWriter, ctz32, doubleOf, wordsOf } from './bits.js';

const NO_WINDOW = 0xff;
const TWO32 = 4294967296;
const TWO36 = 68719476736;
const words = new Uint32Array(2);
/** Payload bits of a delta-of-delta after a prefix of n 1 bits. */
/** Payload bits of a time's difference to the expected delta after a prefix of n 1 bits (n ≥ 2). */
const DELTA_BITS = [0, 0, 7, 12, 20, 36];
/** Integers up to this magnitude are coded by difference (their differences, zigzagged, stay below 2^53). */
const INT_LIMIT = 2 ** 51;
/** Points that would fit a width 2+ bits narrower before the width shrinks. */
const SHRINK_RUN = 4;
/** 5 bits of leading zeros (31) and 6 of length (63): a window XOR never uses (31 + 63 > 64). */
const BACK_TO_INT = (31 << 6) | 63;

/** The encoder's (and decoder's) running state: everything the next point is coded against. */
export class XorState {
  n = 0;
  t = 0;
  delta = 0;
  hi = 0;
  lo = 0;
  lead = NO_WINDOW;
  trail = 0;
  /** 1: values are XOR-coded (float mode); 0: integer mode (differences). */
  float = 0;
  /** Integer mode: 1 when differences are zigzag-coded (signed), 0 when unsigned. */
  signed = 0;
  /** Integer mode: bits per difference. */
  width = 0;
  /** Encoder only: points in a row that a width ≥ 2 bits narrower would have held, their widest zigzag width, any negative. */
  run = 0;
  runWidth = 0;
  runNeg = 0;

  copyFrom(o: XorState): void {
    this.n = o.n;
    this.t = o.t;
    this.delta = o.delta;
    this.hi = o.hi;
    this.lo = o.lo;
    this.lead = o.lead;
    this.trail = o.trail;
    this.float = o.float;
    this.signed = o.signed;
    this.width = o.width;
    this.run = o.run;
    this.runWidth = o.runWidth;
    this.runNeg = o.runNeg;
  }
}

function writeSigned(w: BitWriter, v: number, bits: number): void {
  if (bits <= 32) {
    w.write(v < 0 ? v + 2 ** bits : v, bits);
    return;
  }
  const u = v < 0 ? v + TWO36 : v;
  w.write(Math.floor(u / TWO32), bits - 32);
  w.write(u % TWO32, 32);
}

function readSigned(r: BitReader, bits: number): number {
  if (bits <= 32) {
    const u = r.read(bits);
    return u >= 2 ** (bits - 1) ? u - 2 ** bits : u;
  }
  const u = r.read(bits - 32) * TWO32 + r.read(32);
  return u >= TWO36 / 2 ? u - TWO36 : u;
}

export function encodePoint(w: BitWriter, s: XorState, t: number, v: number): void {
  wordsOf(v, words);
  const hi = words[0];
  const lo = words[1];
  if (s.n === 0) {
    // The first point: its time is the chunk's (kept by the caller), its value an integer
    // ('0' + 6 bits width + zigzag bits) or raw ('1' + 64 bits).
    if (intSafe(v)) {
      const zz = v >= 0 ? 2 * v : -2 * v - 1;
      const width = bitLength(zz);
      w.bit(0);
      w.write(width, 6);
      writeWide(w, zz, width);
    } else {
      w.bit(1);
      w.write(hi, 32);
      w.write(lo, 32);
    }
    s.n = 1;
    s.t = t;
    s.delta = 0;
    s.hi = hi;
    s.lo = lo;
    s.lead = NO_WINDOW;
    s.float = intSafe(v) ? 0 : 1;
    s.signed = 0;
    s.width = 0;
    s.run = 0;
    s.runWidth = 0;
    s.runNeg = 0;
    return;
  }
  const delta = t - s.t;
  if (delta === s.delta) w.bit(0);
  else {
    w.bit(1);
    const v = delta - grid(s.delta);
    if (v === 0) w.bit(0);
    else if (v >= -4 && v <= 4) {
      w.write(0b10, 2);
      w.bit(v < 0 ? 1 : 0);
      w.write((v < 0 ? -v : v) - 1, 2);
    } else if (v >= -64 && v <= 63) {
      w.write(0b110, 3);
      writeSigned(w, v, 7);
    } else if (v >= -2048 && v <= 2047) {
      w.write(0b1110, 4);
      writeSigned(w, v, 12);
    } else if (v >= -524288 && v <= 524287) {
      w.write(0b11110, 5);
      writeSigned(w, v, 20);
    } else {
      w.write(0b11111, 5);
      writeSigned(w, v, 36);
    }
  }
  s.t = t;
  s.delta = delta;
  s.n++;
  const safe = intSafe(v);
  if (s.float === 0) {
    if (safe) encodeInt(w, s, v - doubleOf(s.hi, s.lo));
    else {
      // Leaves integer mode for this point and the next ones: '11', then the value XOR-coded.
      w.write(0b11, 2);
      s.float = 1;
      s.lead = NO_WINDOW;
      encodeXor(w, s, hi, lo);
    }
  } else if (safe && intSafe(doubleOf(s.hi, s.lo))) {
    // Back to integer mode: the impossible window (31 leading zeros, 63 meaningful bits), then an integer code.
    w.write(0b11, 2);
    w.write(BACK_TO_INT, 11);
    s.float = 0;
    s.signed = 0;
    s.width = 0;
    s.run = 0;
    s.runWidth = 0;
    s.runNeg = 0;
    encodeInt(w, s, v - doubleOf(s.hi, s.lo));
  } else encodeXor(w, s, hi, lo);
  s.hi = hi;
  s.lo = lo;
}

/** True for the doubles integer mode codes by difference: integers within ±2^51, not -0 (differences stay exact). */
export function intSafe(v: number): boolean {
  return Number.isInteger(v) && v <= INT_LIMIT && v >= -INT_LIMIT && (v !== 0 || 1 / v > 0);
}

function bitLength(u: number): number {
  return u < TWO32 ? 32 - Math.clz32(u) : 64 - Math.clz32(Math.floor(u / TWO32));
}

function writeWide(w: BitWriter, u: number, bits: number): void {
  if (bits <= 32) w.write(u, bits);
  else {
    w.write(Math.floor(u / TWO32), bits - 32);
    w.write(u % TWO32, 32);
  }
}

function readWide(r: BitReader, bits: number): number {
  if (bits <= 32) return r.read(bits);
  return r.read(bits - 32) * TWO32 + r.read(32);
}

/**
 * Integer mode: the difference d to the previous value, unsigned (d itself) or
 * signed (zigzag) in the lane's current width:
 *   '0'  + width bits                       fits the current sign mode and width
 *   '10' + sign bit + 6 bits width + bits   a new sign mode and width (grown at once, shrunk
 *                                           after SHRINK_RUN points that would fit 2+ bits fewer)
 *   '11' + XOR code                         not an integer-mode value: float mode from here
 */
function encodeInt(w: BitWriter, s: XorState, d: number): void {
  const zz = d >= 0 ? 2 * d : -2 * d - 1;
  const u = s.signed === 1 ? zz : d;
  const fits = (s.signed === 1 || d >= 0) && bitLength(u) <= s.width;
  if (fits) {
    // Would a narrower width have done for the last SHRINK_RUN points?
    const runWidth = Math.max(s.runWidth, bitLength(zz));
    const runNeg = s.runNeg | (d < 0 ? 1 : 0);
    const target = runNeg === 1 ? runWidth : Math.max(runWidth - 1, 0);
    if (target <= s.width - 2) {
      if (s.run + 1 >= SHRINK_RUN) {
        changeWidth(w, s, runNeg, target, runNeg === 1 ? zz : d);
        return;
      }
      s.run++;
      s.runWidth = runWidth;
      s.runNeg = runNeg;
    } else {
      s.run = 0;
      s.runWidth = 0;
      s.runNeg = 0;
    }
    w.bit(0);
    writeWide(w, u, s.width);
    return;
  }
  const signed = s.signed === 1 || d < 0 ? 1 : 0;
  const value = signed === 1 ? zz : d;
  changeWidth(w, s, signed, bitLength(value), value);
}

function changeWidth(w: BitWriter, s: XorState, signed: number, width: number, value: number): void {
  w.write(0b10, 2);
  w.bit(signed);
  w.write(width, 6);
  writeWide(w, value, width);
  s.signed = signed;
  s.width = width;
  s.run = 0;
  s.runWidth = 0;
  s.runNeg = 0;
}

/** Gorilla's value code for bits (hi, lo) against the previous value's. */
function encodeXor(w: BitWriter, s: XorState, hi: number, lo: number): void {
  const xh = (hi ^ s.hi) >>> 0;
  const xl = (lo ^ s.lo) >>> 0;
  if (xh === 0 && xl === 0) {
    w.bit(0);
    return;
  }
  w.bit(1);
  let lead = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
  if (lead > 31) lead = 31;
  const trail = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
  if (s.lead !== NO_WINDOW && lead >= s.lead && trail >= s.trail) {
    w.bit(0);
    writeShifted(w, xh, xl, s.trail, 64 - s.lead - s.trail);
    return;
  }
  w.bit(1);
  const sig = 64 - lead - trail;
  w.write(lead, 5);
  w.write(sig & 63, 6);
  writeShifted(w, xh, xl, trail, sig);
  s.lead = lead;
  s.trail = trail;
}

/** Writes bits [shift, shift + n) of the 64-bit word (hi, lo). */
function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, n: number): void {
  let h: number;
  let l: number;
  if (shift >= 32) {
    h = 0;
    l = hi >>> (shift - 32);
  } else if (shift > 0) {
    h = hi >>> shift;
    l = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
  } else {
    h = hi;
    l = lo;
  }
  if (n > 32) {
    w.write(h & (n === 64 ? 0xffffffff : (1 << (n - 32)) - 1), n - 32);
    w.write(l, 32);
  } else {
    w.write(n === 32 ? l : l & ((1 << n) - 1), n);
  }
}

/** Decodes the next point into `s` (s.t, and the value from s.hi/s.lo via stateValue); before a chunk's first point set s.n = 0 and s.t to its time. */
export function decodePoint(r: BitReader, s: XorState): void {
  if (s.n === 0) {
    // s.t is the chunk's first time, set by the caller.
    if (r.bit() === 0) {
      const u = readWide(r, r.read(6));
      wordsOf(u % 2 === 1 ? -(u + 1) / 2 : u / 2, words);
      s.hi = words[0];
      s.lo = words[1];
    } else {
      s.hi = r.read(32);
      s.lo = r.read(32);
    }
    s.delta = 0;
    s.lead = NO_WINDOW;
    s.float = intSafe(doubleOf(s.hi, s.lo)) ? 0 : 1;
    s.signed = 0;
    s.width = 0;
    s.n = 1;
    return;
  }
  if (r.bit() === 1) {
    // The prefix: up to five 1 bits, ended by a 0 (or by the fifth 1).
    let ones = 0;
    while (ones < 5 && r.bit() === 1) ones++;
    let v = 0;
    if (ones === 1) {
      const negative = r.bit();
      v = r.read(2) + 1;
      if (negative === 1) v = -v;
    } else if (ones > 1) v = readSigned(r, DELTA_BITS[ones]);
    s.delta = grid(s.delta) + v;
  }
  s.t += s.delta;
  s.n++;
  if (s.float === 0) {
    if (decodeIntCode(r, s)) return;
    s.float = 1;
    s.lead = NO_WINDOW;
  }
  if (r.bit() === 0) return;
  let lead: number;
  let sig: number;
  if (r.bit() === 0) {
    lead = s.lead;
    sig = 64 - s.lead - s.trail;
  } else {
    lead = r.read(5);
    sig = r.read(6);
    if (lead === 31 && sig === 63) {
      s.float = 0;
      s.signed = 0;
      s.width = 0;
      decodeIntCode(r, s);
      return;
    }
    if (sig === 0) sig = 64;
    s.lead = lead;
    s.trail = 64 - lead - sig;
  }
  const trail = 64 - lead - sig;
  let h = 0;
  let l: number;
  if (sig > 32) {
    h = r.read(sig - 32);
    l = r.read(32);
  } else {
    l = r.read(sig);
  }
  // Shift (h, l) left by `trail` into a 64-bit XOR mask.
  let xh: number;
  let xl: number;
  if (trail >= 32) {
    xh = (l << (trail - 32)) >>> 0;
    xl = 0;
  } else if (trail > 0) {
    xh = ((h << trail) | (l >>> (32 - trail))) >>> 0;
    xl = (l << trail) >>> 0;
  } else {
    xh = h;
    xl = l;
  }
  s.hi = (s.hi ^ xh) >>> 0;
  s.lo = (s.lo ^ xl) >>> 0;
}

/** Reads an integer-mode code into s.hi/s.lo; false on '11' (the value is XOR-coded). */
function decodeIntCode(r: BitReader, s: XorState): boolean {
  if (r.bit() === 1) {
    if (r.bit() === 1) return false;
    s.signed = r.bit();
    s.width = r.read(6);
  }
  const u = readWide(r, s.width);
  const d = s.signed === 1 ? (u % 2 === 1 ? -(u + 1) / 2 : u / 2) : u;
  wordsOf(doubleOf(s.hi, s.lo) + d, words);
  s.hi = words[0];
  s.lo = words[1];
  return true;
}

/** The delta a time is expected at when it is not the previous one: that delta on a 10 ms grid (from 100 ms up). */
function grid(delta: number): number {
  return delta >= 100 ? Math.round(delta / 10) * 10 : delta;
}

export function stateValue(s: XorState): number {
  return doubleOf(s.hi, s.lo);
}
