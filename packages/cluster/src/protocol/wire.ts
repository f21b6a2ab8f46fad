// The byte encoding of a sync message: unsigned LEB128 varints, numbers tagged
// so that the common case (a small integer delta) takes one or two bytes, and
// IEEE doubles only where a value is not an integer.
//
//   uvar   7 bits per byte, high bit = more; any integer 0 … 2^53
//   num    uvar(zigzag(v) * 2)         v a safe integer with |v| ≤ 2^50 (even tag)
//          uvar(1), then 8 bytes f64   anything else: fractions, -0, NaN, ±Infinity, huge
//   str    uvar(byte length), UTF-8 bytes
//
// Reader methods throw ProtocolError on a truncated or malformed buffer; the
// primary catches it per message.

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const TWO_50 = 2 ** 50;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A growable byte buffer, reused from one message to the next. */
export class Writer {
  bytes: Uint8Array;
  private _view: DataView;
  pos = 0;

  constructor(initialBytes = 1 << 14) {
    this.bytes = new Uint8Array(initialBytes);
    this._view = new DataView(this.bytes.buffer);
  }

  reset(): void {
    this.pos = 0;
  }

  private _ensure(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this._view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this._ensure(1);
    this.bytes[this.pos++] = v;
  }

  uvar(v: number): void {
    this._ensure(8);
    const b = this.bytes;
    if (v < 0x80000000) {
      while (v >= 0x80) {
        b[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[this.pos++] = v;
      return;
    }
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
  }

  f64(v: number): void {
    this._ensure(8);
    this._view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  num(v: number): void {
    if (Number.isSafeInteger(v) && v <= TWO_50 && v >= -TWO_50 && !Object.is(v, -0)) {
      this.uvar((v >= 0 ? v * 2 : -v * 2 - 1) * 2);
      return;
    }
    this.u8(1);
    this.f64(v);
  }

  str(s: string): void {
    // At most 3 UTF-8 bytes per UTF-16 code unit.
    this._ensure(5 + s.length * 3);
    const start = this.pos;
    // Reserve one byte for the length; most strings are shorter than 128 bytes.
    const { written } = encoder.encodeInto(s, this.bytes.subarray(start + 1));
    if (written < 0x80) {
      this.bytes[start] = written;
      this.pos = start + 1 + written;
      return;
    }
    const lengthBytes = uvarSize(written);
    this.bytes.copyWithin(start + lengthBytes, start + 1, start + 1 + written);
    this.uvar(written);
    this.pos = start + lengthBytes + written;
  }

  /** A copy of what was written. */
  take(): Uint8Array {
    return this.bytes.slice(0, this.pos);
  }
}

export function uvarSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

export class Reader {
  pos = 0;
  private readonly _view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this._view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  u8(): number {
    if (this.pos >= this.bytes.length) throw new ProtocolError('truncated message');
    return this.bytes[this.pos++];
  }

  uvar(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new ProtocolError('varint longer than 8 bytes');
  }

  f64(): number {
    if (this.pos + 8 > this.bytes.length) throw new ProtocolError('truncated message');
    const v = this._view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  num(): number {
    const u = this.uvar();
    if (u === 1) return this.f64();
    if (u % 2 !== 0) throw new ProtocolError(`bad number tag ${u}`);
    const z = u / 2;
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  str(): string {
    const length = this.uvar();
    if (this.pos + length > this.bytes.length) throw new ProtocolError('truncated string');
    const s = decoder.decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return s;
  }
}
