// ExportMetricsServiceResponse (protobuf) → `{ partialSuccess?: { rejectedDataPoints?, errorMessage? } }`,
// the shape the standard delegate's partial-success handler logs. Unknown
// fields are skipped; a malformed body throws (the delegate then warns that
// the export succeeded but the response could not be read, as upstream).

class Reader {
  pos = 0;
  constructor(private readonly _data: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this._data.length;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this._data.length) throw new Error('truncated varint');
      const byte = this._data[this.pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new Error('varint too long');
  }

  bytes(): Uint8Array {
    const length = this.varint();
    if (this.pos + length > this._data.length) throw new Error('truncated field');
    const out = this._data.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function fields(data: Uint8Array, visit: (field: number, wireType: number, reader: Reader) => boolean): void {
  const reader = new Reader(data);
  while (!reader.done) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (!visit(field, wireType, reader)) reader.skip(wireType);
  }
}

export function decodeExportResponse(data: Uint8Array): { partialSuccess?: { rejectedDataPoints?: number; errorMessage?: string } } {
  const out: { partialSuccess?: { rejectedDataPoints?: number; errorMessage?: string } } = {};
  fields(data, (field, wireType, reader) => {
    if (field !== 1 || wireType !== 2) return false;
    const partial: { rejectedDataPoints?: number; errorMessage?: string } = {};
    fields(reader.bytes(), (f, w, r) => {
      if (f === 1 && w === 0) partial.rejectedDataPoints = r.varint();
      else if (f === 2 && w === 2) partial.errorMessage = Buffer.from(r.bytes()).toString('utf8');
      else return false;
      return true;
    });
    out.partialSuccess = partial;
    return true;
  });
  return out;
}
