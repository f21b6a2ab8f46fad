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
const CHUNK_BYTES = 256 * 1024;

export interface Outer {
  readonly slot: number;
  readonly start: number;
}

export class ProtobufWriter {
  private _buf = new Uint8Array(CHUNK_BYTES);
  private _view = new DataView(this._buf.buffer);
  pos = 0;
  /** Start of the part of `_buf` not yet sealed into `_parts`. */
  private _segment = 0;
  /** Bytes in sealed parts, filled length slots included. */
  private _sealed = 0;
  private readonly _parts: (Uint8Array | null)[] = [];
  /** Open inner fields: their content must stay in the current chunk. */
  private _depth = 0;

  /** Bytes written so far (the slots of open outer fields excluded). */
  get length(): number {
    return this._sealed + this.pos - this._segment;
  }

  /** Makes `n` contiguous bytes available at `pos` (a new chunk when this one is full). */
  reserve(n: number): void {
    if (this.pos + n <= this._buf.length) return;
    if (this._depth > 0) {
      // Inside an inner message: grow this chunk (indices stay valid; sealed parts view the old one).
      const grown = new Uint8Array(Math.max(this._buf.length * 2, this.pos + n));
      grown.set(this._buf.subarray(0, this.pos));
      this._buf = grown;
      this._view = new DataView(grown.buffer);
      return;
    }
    this._seal();
    this._buf = new Uint8Array(Math.max(CHUNK_BYTES, n));
    this._view = new DataView(this._buf.buffer);
    this.pos = 0;
    this._segment = 0;
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

  /** Starts an inner length-delimited field; the whole message must have been reserved. */
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

  /** Bytes as they are (pre-encoded fields). */
  raw(value: Uint8Array): void {
    this.reserve(value.length);
    this._buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** The message: every chunk and length slot, in order, in one array. */
  finish(): Uint8Array {
    this._seal();
    let total = 0;
    for (const part of this._parts) total += (part as Uint8Array).length;
    const out = new Uint8Array(total);
    let at = 0;
    for (const part of this._parts) {
      out.set(part as Uint8Array, at);
      at += (part as Uint8Array).length;
    }
    return out;
  }

  private _seal(): void {
    if (this.pos > this._segment) {
      this._parts.push(this._buf.subarray(this._segment, this.pos));
      this._sealed += this.pos - this._segment;
      this._segment = this.pos;
    }
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

function writeVarintAt(buf: Uint8Array, at: number, value: number): void {
  let v = value >>> 0;
  let p = at;
  while (v > 0x7f) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p] = v;
}
