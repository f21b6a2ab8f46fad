// Delta-of-delta timestamps and XOR values, as in Gorilla (Pelkonen et al.,
// VLDB 2015 §4.1) and Prometheus' XOR chunks, with timestamp buckets tuned for
// millisecond times taken about once a second (jitter of a few ms):
//
//   dod = (t - t₋₁) - (t₋₁ - t₋₂)
//   0                         '0'
//   [-8, 7]                   '10'    + 4 bits (two's complement): a few ms of timer jitter
//   [-64, 63]                 '110'   + 7 bits
//   [-2048, 2047]             '1110'  + 12 bits
//   [-2^19, 2^19-1]           '11110' + 20 bits
//   otherwise                 '11111' + 36 bits
//
//   x = bits(v) XOR bits(v₋₁)
//   0                         '0'
//   fits the previous window  '10'  + the window's meaningful bits
//   otherwise                 '11'  + 5 bits leading zeros + 6 bits length + meaningful bits
//
// The first point of a chunk is stored raw: 32-bit time, 64-bit value.
// Measured on counters sampled every second: ~2.3 bytes per point (bench/ring.mjs).
import { type BitReader, type BitWriter, ctz32, doubleOf, wordsOf } from './bits.js';

const NO_WINDOW = 0xff;
const TWO32 = 4294967296;
const TWO36 = 68719476736;
const words = new Uint32Array(2);
/** Payload bits of a delta-of-delta after a prefix of n 1 bits. */
const DOD_BITS = [0, 4, 7, 12, 20, 36];

/** The encoder's (and decoder's) running state: everything the next point is coded against. */
export class XorState {
  n = 0;
  t = 0;
  delta = 0;
  hi = 0;
  lo = 0;
  lead = NO_WINDOW;
  trail = 0;

  copyFrom(o: XorState): void {
    this.n = o.n;
    this.t = o.t;
    this.delta = o.delta;
    this.hi = o.hi;
    this.lo = o.lo;
    this.lead = o.lead;
    this.trail = o.trail;
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
    w.write(t, 32);
    w.write(hi, 32);
    w.write(lo, 32);
    s.n = 1;
    s.t = t;
    s.delta = 0;
    s.hi = hi;
    s.lo = lo;
    s.lead = NO_WINDOW;
    return;
  }
  const delta = t - s.t;
  const dod = delta - s.delta;
  if (dod === 0) w.bit(0);
  else if (dod >= -8 && dod <= 7) {
    w.write(0b10, 2);
    writeSigned(w, dod, 4);
  } else if (dod >= -64 && dod <= 63) {
    w.write(0b110, 3);
    writeSigned(w, dod, 7);
  } else if (dod >= -2048 && dod <= 2047) {
    w.write(0b1110, 4);
    writeSigned(w, dod, 12);
  } else if (dod >= -524288 && dod <= 524287) {
    w.write(0b11110, 5);
    writeSigned(w, dod, 20);
  } else {
    w.write(0b11111, 5);
    writeSigned(w, dod, 36);
  }
  s.t = t;
  s.delta = delta;

  const xh = (hi ^ s.hi) >>> 0;
  const xl = (lo ^ s.lo) >>> 0;
  s.hi = hi;
  s.lo = lo;
  s.n++;
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

/** Decodes the next point into `s` (s.t, and the value from s.hi/s.lo via valueOf). */
export function decodePoint(r: BitReader, s: XorState): void {
  if (s.n === 0) {
    s.t = r.read(32);
    s.hi = r.read(32);
    s.lo = r.read(32);
    s.delta = 0;
    s.lead = NO_WINDOW;
    s.n = 1;
    return;
  }
  // The prefix: up to five 1 bits, ended by a 0 (or by the fifth 1).
  let ones = 0;
  while (ones < 5 && r.bit() === 1) ones++;
  const dod = ones === 0 ? 0 : readSigned(r, DOD_BITS[ones]);
  s.delta += dod;
  s.t += s.delta;
  s.n++;
  if (r.bit() === 0) return;
  let lead: number;
  let sig: number;
  if (r.bit() === 0) {
    lead = s.lead;
    sig = 64 - s.lead - s.trail;
  } else {
    lead = r.read(5);
    sig = r.read(6);
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

export function stateValue(s: XorState): number {
  return doubleOf(s.hi, s.lo);
}
