// A bit stream over a Uint8Array, most significant bit first, and the 64-bit
// helpers the XOR codec needs. JavaScript bit operators work on 32 bits, so a
// Float64 is handled as its two 32-bit words (little-endian typed-array alias).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The high and low 32-bit words of a double, written into `out[0]` (hi), `out[1]` (lo). */
export function wordsOf(v: number, out: Uint32Array): void {
  f64[0] = v;
  out[0] = u32[1];
  out[1] = u32[0];
}

export function doubleOf(hi: number, lo: number): number {
  u32[1] = hi;
  u32[0] = lo;
  return f64[0];
}

/** Count of trailing zero bits of a non-zero 32-bit word. */
export function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class BitWriter {
  buf: Uint8Array;
  /** Bits written so far. */
  pos = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  /** Starts over on `bytes` (copied), continuing after `bits` bits. */
  reset(bytes: Uint8Array | null, bits: number): void {
    const need = (bits >>> 3) + 64;
    if (this.buf.length < need) this.buf = new Uint8Array(need * 2);
    else this.buf.fill(0);
    if (bytes !== null) this.buf.set(bytes.subarray(0, (bits + 7) >>> 3));
    this.pos = bits;
  }

  private _ensure(bits: number): void {
    const need = ((this.pos + bits) >>> 3) + 1;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf);
    this.buf = next;
  }

  /** Writes the low `n` bits of `value` (0 <= n <= 32). */
  write(value: number, n: number): void {
    this._ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    while (n > 0) {
      const free = 8 - (pos & 7);
      const take = Math.min(n, free);
      const bits = (value >>> (n - take)) & ((1 << take) - 1);
      buf[pos >>> 3] |= bits << (free - take);
      pos += take;
      n -= take;
    }
    this.pos = pos;
  }

  bit(b: number): void {
    this._ensure(1);
    if (b !== 0) this.buf[this.pos >>> 3] |= 0x80 >>> (this.pos & 7);
    this.pos++;
  }

  /** Writes the low `n` bits (0 < n <= 64) of the 64-bit value (hi, lo). */
  write64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.write(hi, n - 32);
      this.write(lo, 32);
    } else {
      this.write(lo, n);
    }
  }
}

export class BitReader {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;

  /** Reads `bits` bits of `buf` from byte `offset`. */
  reset(buf: Uint8Array, offset: number, bits: number): void {
    this.buf = buf;
    this.pos = offset * 8;
    this.end = this.pos + bits;
  }

  read(n: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    while (n > 0) {
      const avail = 8 - (pos & 7);
      const take = Math.min(n, avail);
      const bits = (buf[pos >>> 3] >>> (avail - take)) & ((1 << take) - 1);
      value = take === 32 ? bits : ((value << take) | bits) >>> 0;
      pos += take;
      n -= take;
    }
    this.pos = pos;
    return value >>> 0;
  }

  bit(): number {
    const b = (this.buf[this.pos >>> 3] >>> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }
}
