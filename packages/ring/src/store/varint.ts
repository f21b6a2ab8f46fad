// Variable-length integers for bucket-delta records: 7 bits per byte, low
// groups first; signed values zigzag-encoded. Arithmetic instead of bit
// operators, so values up to 2^53 survive. A non-integer count (never produced
// by an SDK, but OTLP input is not ours) is escaped: varint 0, then 8 raw bytes.

const f64 = new Float64Array(1);
const b8 = new Uint8Array(f64.buffer);

export class ByteWriter {
  buf = new Uint8Array(256);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  private _ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  uint(v: number): void {
    this._ensure(10);
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  int(v: number): void {
    this.uint(v < 0 ? -2 * v - 1 : 2 * v);
  }

  /** A positive count: a varint when it is an integer, else the escape and the raw double. */
  count(v: number): void {
    if (Number.isInteger(v) && v > 0 && v <= Number.MAX_SAFE_INTEGER) {
      this.uint(v);
      return;
    }
    this._ensure(9);
    this.buf[this.pos++] = 0;
    f64[0] = v;
    this.buf.set(b8, this.pos);
    this.pos += 8;
  }
}

export class ByteReader {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;

  uint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  }

  int(): number {
    const u = this.uint();
    return u % 2 === 1 ? -(u + 1) / 2 : u / 2;
  }

  count(): number {
    const v = this.uint();
    if (v !== 0) return v;
    for (let i = 0; i < 8; i++) b8[i] = this.buf[this.pos + i];
    this.pos += 8;
    return f64[0];
  }
}
