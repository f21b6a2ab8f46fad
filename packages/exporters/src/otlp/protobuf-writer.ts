// Protobuf wire format into a list of chunks. A length-delimited field needs
// its length before its content; two ways to get it:
//
//   inner (data points, attributes: small)   reserve 1 length byte, write the content, then
//                                             write the varint there, shifting the content when
//                                             it needs more bytes (an open inner message stays in
//                                             one chunk: the chunk grows rather than splitting it)
//   outer (request, resource, scope, metric, each possibly megabytes)
//                                             seal the chunk, leave an empty slot in the chunk
//                                             list, fill it with the varint at the end: no shift
//                                             of megabytes in one synchronous step
//
//   chunks: [ ..bytes.. ][slot: len][ ..bytes.. ][slot: len][ ..bytes.. ] ── finish() ──► one Uint8Array
//
// Varints are minimal, as the standard writer's, so bodies are byte-identical.
import { ByteWriter } from '../common/byte-writer.js';

export interface Outer {
  readonly slot: number;
  readonly start: number;
}

export class ProtobufWriter extends ByteWriter {
  private _view: DataView;

  constructor(chunkBytes?: number, firstChunkBytes?: number) {
    super(chunkBytes, firstChunkBytes);
    this._view = new DataView(this._buf.buffer, this._buf.byteOffset);
  }

  protected override _replaced(buf: Uint8Array): void {
    super._replaced(buf);
    this._view = new DataView(buf.buffer, buf.byteOffset);
  }

  beginOuter(): Outer {
    this._seal();
    this._parts.push(null);
    return { slot: this._parts.length - 1, start: this.length };
  }

  endOuter(outer: Outer): void {
    const length = this.length - outer.start;
    const bytes = new Uint8Array(varintSize(length));
    writeVarintAt(bytes, 0, length);
    this._parts[outer.slot] = bytes;
    // The slot is part of the enclosing field's content.
    this._sealed += bytes.length;
  }

  /** Starts an inner length-delimited field (its bytes stay in this chunk until end()). */
  begin(): number {
    this.reserve(1);
    this._depth++;
    this.pos++;
    return this.pos;
  }

  end(start: number): void {
    const length = this.pos - start;
    const size = varintSize(length);
    if (size > 1) {
      this.reserve(size - 1);
      this._buf.copyWithin(start + size - 1, start, this.pos);
      this.pos += size - 1;
    }
    writeVarintAt(this._buf, start - 1, length);
    this._depth--;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A non-negative integer below 2^32 (tags, lengths, enums, booleans). */
  varint(value: number): void {
    this.reserve(5);
    let v = value >>> 0;
    while (v > 0x7f) {
      this._buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this._buf[this.pos++] = v;
  }

  /** Any integer as an int64 varint (two's complement below 0), as the standard writer computes it. */
  varint64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.varint(value);
      return;
    }
    let [low, high] = split64(value);
    this.reserve(10);
    while (high > 0 || low > 0x7f) {
      this._buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this._buf[this.pos++] = low & 0x7f;
  }

  /** zigzag sint32. */
  sint32(value: number): void {
    this.varint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  fixed64(low: number, high: number): void {
    this.reserve(8);
    const b = this._buf;
    let p = this.pos;
    const l = low >>> 0;
    const h = high >>> 0;
    b[p++] = l & 0xff;
    b[p++] = (l >>> 8) & 0xff;
    b[p++] = (l >>> 16) & 0xff;
    b[p++] = l >>> 24;
    b[p++] = h & 0xff;
    b[p++] = (h >>> 8) & 0xff;
    b[p++] = (h >>> 16) & 0xff;
    b[p++] = h >>> 24;
    this.pos = p;
  }

  /** A count (fixed64) from a non-negative JavaScript number, as the standard writer splits it. */
  fixed64Number(value: number): void {
    this.fixed64(value >>> 0, (value / 0x100000000) >>> 0);
  }

  sfixed64(value: number): void {
    const [low, high] = split64(value);
    this.fixed64(low, high);
  }

  double(value: number): void {
    this.reserve(8);
    this._view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  string(value: string): void {
    let ascii = true;
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      this.bytes(Buffer.from(value, 'utf8'));
      return;
    }
    this.varint(value.length);
    this.reserve(value.length);
    for (let i = 0; i < value.length; i++) this._buf[this.pos++] = value.charCodeAt(i);
  }

  /** Length-prefixed bytes. */
  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.raw(value);
  }

  /**
   * A NumberDataPoint as field 1 of Sum/Gauge, in one go (its length is known
   * up front): `times` is start_time_unix_nano and time_unix_nano with their
   * tags (18 bytes), then as_int (sfixed64) or as_double, then the attributes
   * (fields 7, pre-encoded).
   */
  numberPoint(times: Uint8Array, asInt: boolean, value: number, attributes: Uint8Array): void {
    const length = times.length + 9 + attributes.length;
    this.reserve(length + 6);
    const buf = this._buf;
    buf[this.pos++] = 0x0a;
    this.pos = writeVarintAt(buf, this.pos, length);
    buf.set(times, this.pos);
    this.pos += times.length;
    if (asInt) {
      buf[this.pos++] = 0x31; // as_int: field 6, fixed64
      this.sfixed64(value);
    } else {
      buf[this.pos++] = 0x21; // as_double: field 4, fixed64
      this._view.setFloat64(this.pos, value, true);
      this.pos += 8;
    }
    buf.set(attributes, this.pos);
    this.pos += attributes.length;
  }

  /**
   * A HistogramDataPoint as field 1 of Histogram, in one go (its length is
   * known up front: no shift of the content for a 2-byte length): `times`
   * (18 bytes, tags included), count, sum when the stream has one, the packed
   * bucket counts `counts[from .. from + stride)`, `bounds` (explicit_bounds,
   * pre-encoded), `attributes` (pre-encoded), min and max when `minMax`.
   */
  histogramPoint(
    times: Uint8Array,
    count: number,
    sum: Float64Array | null,
    i: number,
    counts: Float64Array,
    from: number,
    stride: number,
    bounds: Uint8Array,
    attributes: Uint8Array,
    min: Float64Array | null,
    max: Float64Array | null,
  ): void {
    const countsLength = stride * 8;
    const minMax = min !== null && count > 0;
    const length =
      times.length + 9 + (sum !== null ? 9 : 0) + 1 + varintSize(countsLength) + countsLength + bounds.length + attributes.length + (minMax ? 18 : 0);
    this.reserve(length + 6);
    const buf = this._buf;
    const view = this._view;
    let p = this.pos;
    buf[p++] = 0x0a; // data_points: field 1, length-delimited
    p = writeVarintAt(buf, p, length);
    buf.set(times, p);
    p += times.length;
    buf[p] = 0x21; // count: field 4, fixed64
    view.setUint32(p + 1, count >>> 0, true);
    view.setUint32(p + 5, count < 0x100000000 ? 0 : (count / 0x100000000) >>> 0, true);
    p += 9;
    if (sum !== null) {
      buf[p] = 0x29; // sum: field 5, double
      view.setFloat64(p + 1, sum[i], true);
      p += 9;
    }
    buf[p++] = 0x32; // bucket_counts: field 6, packed fixed64
    p = writeVarintAt(buf, p, countsLength);
    // One tight loop; counts are mostly below 2^32 (high word 0).
    for (let b = from; b < from + stride; b++) {
      const value = counts[b];
      view.setUint32(p, value >>> 0, true);
      view.setUint32(p + 4, value < 0x100000000 ? 0 : (value / 0x100000000) >>> 0, true);
      p += 8;
    }
    buf.set(bounds, p);
    p += bounds.length;
    buf.set(attributes, p);
    p += attributes.length;
    if (minMax) {
      buf[p] = 0x59; // min: field 11, double
      view.setFloat64(p + 1, min[i], true);
      buf[p + 9] = 0x61; // max: field 12, double
      view.setFloat64(p + 10, (max as Float64Array)[i], true);
      p += 18;
    }
    this.pos = p;
  }
}

/** [low, high] 32-bit words of an int64, negatives in two's complement (the standard writer's arithmetic). */
function split64(value: number): [number, number] {
  if (value >= 0) return [value >>> 0, (value / 0x100000000) >>> 0];
  const abs = Math.abs(value);
  let low = ~(abs >>> 0) >>> 0;
  let high = ~((abs / 0x100000000) >>> 0) >>> 0;
  low = (low + 1) >>> 0;
  if (low === 0) high = (high + 1) >>> 0;
  return [low, high];
}

export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Writes a varint at `at`; returns the position after it. */
function writeVarintAt(buf: Uint8Array, at: number, value: number): number {
  let v = value >>> 0;
  let p = at;
  while (v > 0x7f) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p] = v;
  return p + 1;
}
