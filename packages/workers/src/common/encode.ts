// Canonical byte encodings of what threads must agree on: attribute sets and
// instrument identities. Written into the shared arena once per series or
// instrument (the miss path); never on the record path.
//
// attributes := count:u32 { key:str value }*         keys sorted (UTF-16 order, as Array.prototype.sort)
// value      := 1 str | 2 f64 | 3 u8 | 4 count:u32 { 0 | 1 str | 2 f64 | 3 u8 }*   (tag first; 0 = null array element)
// str        := length:u32 utf8 bytes
//
// Typed values keep 1, "1" and true apart (prom-client's joined keys do not);
// -0 is written as 0 and every NaN as one NaN, as Map keys compare them.
import type { AttributeValue, Attributes } from '@opentelemetry/api';

const TAG_NULL = 0;
const TAG_STRING = 1;
const TAG_NUMBER = 2;
const TAG_BOOLEAN = 3;
const TAG_ARRAY = 4;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private _ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this._ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this._ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this._ensure(8);
    this.view.setFloat64(this.pos, v !== v ? Number.NaN : v === 0 ? 0 : v, true);
    this.pos += 8;
  }

  str(s: string): void {
    // At most 3 UTF-8 bytes per UTF-16 unit.
    this._ensure(4 + s.length * 3);
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.pos + 4));
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }

  value(v: AttributeValue): void {
    switch (typeof v) {
      case 'string':
        this.u8(TAG_STRING);
        this.str(v);
        return;
      case 'number':
        this.u8(TAG_NUMBER);
        this.f64(v);
        return;
      case 'boolean':
        this.u8(TAG_BOOLEAN);
        this.u8(v ? 1 : 0);
        return;
      default: {
        const array = v as readonly unknown[];
        this.u8(TAG_ARRAY);
        this.u32(array.length);
        for (const e of array) {
          if (e === null || e === undefined) this.u8(TAG_NULL);
          else this.value(e as AttributeValue);
        }
      }
    }
  }
}

export class ByteReader {
  private readonly _view: DataView;
  pos = 0;

  constructor(private readonly _bytes: Uint8Array) {
    this._view = new DataView(_bytes.buffer, _bytes.byteOffset, _bytes.byteLength);
  }

  u8(): number {
    return this._bytes[this.pos++];
  }

  u32(): number {
    const v = this._view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this._view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  str(): string {
    const n = this.u32();
    const s = decoder.decode(this._bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  value(): AttributeValue | null {
    const tag = this.u8();
    switch (tag) {
      case TAG_STRING:
        return this.str();
      case TAG_NUMBER:
        return this.f64();
      case TAG_BOOLEAN:
        return this.u8() === 1;
      case TAG_ARRAY: {
        const n = this.u32();
        const out: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out as AttributeValue;
      }
      default:
        return null;
    }
  }
}

/** Writes an attribute set in canonical order: `order` lists indices into keys/values sorted by key. */
export function writeAttributes(w: ByteWriter, keys: readonly string[], values: readonly AttributeValue[], order: readonly number[]): void {
  w.u32(order.length);
  for (const i of order) {
    w.str(keys[i]);
    w.value(values[i]);
  }
}

export function readAttributes(bytes: Uint8Array): Attributes {
  const r = new ByteReader(bytes);
  const n = r.u32();
  const out: Attributes = {};
  for (let i = 0; i < n; i++) {
    const key = r.str();
    out[key] = r.value() as AttributeValue;
  }
  return out;
}

/** What makes two instruments the same across threads (sdk-metrics' rule: name case-insensitive, kind, unit, value type), within one meter scope. */
export interface InstrumentIdentity {
  readonly scopeName: string;
  readonly scopeVersion: string;
  readonly schemaUrl: string;
  readonly name: string;
  readonly kind: number;
  readonly unit: string;
  readonly valueType: number;
}

/** What the first thread to create an instrument decides for all. */
export interface InstrumentInfo {
  readonly name: string;
  readonly description: string;
  /** Explicit bucket boundaries (histograms), else empty. */
  readonly boundaries: readonly number[];
  /** True when the boundaries came from the instrument's advice. */
  readonly advised: boolean;
}

export function writeInstrumentKey(w: ByteWriter, id: InstrumentIdentity): void {
  w.str(id.scopeName);
  w.str(id.scopeVersion);
  w.str(id.schemaUrl);
  w.str(id.name.toLowerCase());
  w.u8(id.kind);
  w.str(id.unit);
  w.u8(id.valueType);
}

export function writeInstrumentInfo(w: ByteWriter, info: InstrumentInfo): void {
  w.str(info.name);
  w.str(info.description);
  w.u8(info.advised ? 1 : 0);
  w.u32(info.boundaries.length);
  for (const b of info.boundaries) w.f64(b);
}

export function readInstrument(bytes: Uint8Array, keyLength: number): { identity: InstrumentIdentity; info: InstrumentInfo } {
  const r = new ByteReader(bytes);
  const scopeName = r.str();
  const scopeVersion = r.str();
  const schemaUrl = r.str();
  r.str(); // lower-cased name: identity only
  const kind = r.u8();
  const unit = r.str();
  const valueType = r.u8();
  r.pos = keyLength;
  const name = r.str();
  const description = r.str();
  const advised = r.u8() === 1;
  const n = r.u32();
  const boundaries: number[] = [];
  for (let i = 0; i < n; i++) boundaries.push(r.f64());
  return { identity: { scopeName, scopeVersion, schemaUrl, name, kind, unit, valueType }, info: { name, description, boundaries, advised } };
}

/** FNV-1a (32 bit) over bytes[start, end), continuing from `h`. */
export function fnv1a(bytes: Uint8Array, start: number, end: number, h = 0x811c9dc5): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h | 0;
}

/** The hash of a series key: its instrument id, then its attribute bytes. */
export function seriesHash(instrument: number, attributes: Uint8Array): number {
  let h = 0x811c9dc5;
  h = Math.imul(h ^ (instrument & 0xff), 0x01000193);
  h = Math.imul(h ^ ((instrument >>> 8) & 0xff), 0x01000193);
  h = Math.imul(h ^ ((instrument >>> 16) & 0xff), 0x01000193);
  return fnv1a(attributes, 0, attributes.length, h);
}
