// The protobufjs Reader the receiver hands to the generated OTLP decoders. It is
// protobufjs' own BufferReader (the decoders, the wire format and every bounds
// check stay protobufjs'), with three reads made cheaper for what an OTLP export
// repeats on every point:
// - string(): attribute keys and values, metric names and units recur across the
//   points of a request and across requests. Short strings are looked up by their
//   bytes in a small, fixed-size cache (StringCache) and come back as the same JS
//   string, without decoding or allocating.
// - fixed64(): the points of one collection share their start and end times. A
//   timestamp equal to one of the two read last returns the same (frozen) Long.
//   Values below 2^53 (counts, bucket counts) come back as exact numbers.
// - sfixed64(): int values below 2^53 come back as exact numbers.
// protobufjs itself returns numbers for 64-bit fields when long.js is absent: the
// converter takes a number or a Long for every 64-bit field (convert.ts `int64`).
import protobuf from 'protobufjs/light.js';

/** Strings longer than this many bytes bypass the cache (decoded as protobufjs does). */
export const MAX_INTERNED_BYTES = 64;
/** Slots of the shared cache (a power of two): at most 4096 strings of ≤ 64 bytes. */
export const DEFAULT_STRING_SLOTS = 4096;

/** Node's Buffer has the UTF-8 decoder that protobufjs' BufferReader uses (undeclared in @types/node). */
type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string };

const TWO_32 = 4294967296;
/** 2^53 / 2^32: a fixed64 whose high word is below this is at most 2^53 - 1, an
 * sfixed64 whose high word is in [-2^21, 2^21) lies in [-2^53, 2^53): exact as doubles. */
const SAFE_HIGH = 2097152;

/**
 * Strings by their UTF-8 bytes: a direct-mapped table of `slots` entries keyed by
 * a hash of the bytes. An entry is returned only when its bytes equal the
 * requested ones (compared byte by byte), so a hash collision costs a decode and
 * never returns a wrong string; a new string replaces the slot's old one. Memory
 * is fixed at creation (slots × MAX_INTERNED_BYTES bytes plus the strings), whatever
 * the input: adversarial bodies can evict entries, not grow the table.
 * Bytes that are not valid UTF-8 are cached as what decoding them gives (U+FFFD
 * replacements), exactly what protobufjs would have returned for them.
 */
export class StringCache {
  readonly slots: number;
  private readonly _mask: number;
  private readonly _strings: string[];
  private readonly _lengths: Int32Array;
  private readonly _bytes: Uint8Array;
  private readonly _view: DataView;
  /** Lookups answered from the cache, and decodes (misses); for tests and tuning. */
  hits = 0;
  misses = 0;

  constructor(slots = DEFAULT_STRING_SLOTS) {
    if (!Number.isInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) throw new RangeError(`StringCache: slots must be a power of two, got ${slots}`);
    this.slots = slots;
    this._mask = slots - 1;
    this._strings = new Array<string>(slots).fill('');
    this._lengths = new Int32Array(slots).fill(-1);
    this._bytes = new Uint8Array(slots * MAX_INTERNED_BYTES);
    this._view = new DataView(this._bytes.buffer);
  }

  /**
   * The string of `buf[start, end)` (UTF-8); `view` is a DataView of `buf`
   * (bytes are hashed and compared four at a time through it).
   */
  get(buf: NodeBuffer, view: DataView, start: number, end: number): string {
    const length = end - start;
    if (length <= 0) return '';
    if (length > MAX_INTERNED_BYTES) return buf.utf8Slice(start, end);
    // A hash of the length and of the first, middle and last four bytes (where
    // names and values usually differ). It only picks the slot; equality is
    // checked on every byte.
    let hash = Math.imul(0x811c9dc5 ^ length, 0x01000193);
    if (length >= 4) {
      hash = Math.imul(hash ^ view.getUint32(start, true), 0x01000193);
      hash = Math.imul(hash ^ view.getUint32(start + ((length - 4) >> 1), true), 0x01000193);
      hash = Math.imul(hash ^ view.getUint32(end - 4, true), 0x01000193);
    } else {
      for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i], 0x01000193);
    }
    const slot = (hash ^ (hash >>> 15)) & this._mask;
    const base = slot * MAX_INTERNED_BYTES;
    if (this._lengths[slot] === length && this._equal(buf, view, start, end, base)) {
      this.hits++;
      return this._strings[slot];
    }
    this.misses++;
    const value = buf.utf8Slice(start, end);
    const bytes = this._bytes;
    for (let i = 0; i < length; i++) bytes[base + i] = buf[start + i];
    this._lengths[slot] = length;
    this._strings[slot] = value;
    return value;
  }

  /** Whether `buf[start, end)` equals the bytes stored from `base` on. */
  private _equal(buf: NodeBuffer, view: DataView, start: number, end: number, base: number): boolean {
    const stored = this._view;
    let i = start;
    let j = base;
    for (; i + 4 <= end; i += 4, j += 4) if (view.getUint32(i, true) !== stored.getUint32(j, true)) return false;
    const bytes = this._bytes;
    for (; i < end; i++, j++) if (buf[i] !== bytes[j]) return false;
    return true;
  }

  /** Strings held (at most `slots`). */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) if (this._lengths[i] >= 0) n++;
    return n;
  }
}

/** Shared by every receiver of the process: decoding is synchronous, one body at a time. */
const sharedStrings = new StringCache();

type LongLike = protobuf.Long;
type LongClass = new (low: number, high: number, unsigned: boolean) => LongLike;

function outOfRange(reader: protobuf.Reader, length: number): RangeError {
  // protobufjs' message for the same condition (reader.js indexOutOfRange).
  return new RangeError(`index out of range: ${reader.pos} + ${length} > ${reader.len}`);
}

export class OtlpReader extends protobuf.BufferReader {
  private readonly _strings: StringCache;
  private readonly _view: DataView;
  private readonly _Long: LongClass;
  private _lo = 0;
  private _hi = 0;
  // The two fixed64 values read last (low and high words as read) and their Longs.
  private _lo0 = 0;
  private _hi0 = 0;
  private _long0: LongLike | undefined;
  private _lo1 = 0;
  private _hi1 = 0;
  private _long1: LongLike | undefined;

  constructor(buffer: Buffer, strings: StringCache = sharedStrings) {
    super(buffer);
    this._strings = strings;
    this._view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    // schema.ts makes sure protobufjs has a Long class.
    this._Long = protobuf.util.Long as unknown as LongClass;
  }

  override string(): string {
    const length = this.uint32();
    const start = this.pos;
    // protobufjs' BufferReader clamps the end to the buffer the same way.
    const end = Math.min(start + length, this.len);
    this.pos = end;
    return this._strings.get(this.buf as NodeBuffer, this._view, start, end);
  }

  override fixed64(): LongLike {
    this._words();
    const lo = this._lo;
    const hi = this._hi;
    if (hi < SAFE_HIGH) return (hi * TWO_32 + lo) as unknown as LongLike;
    if (this._long0 !== undefined && lo === this._lo0 && hi === this._hi0) return this._long0;
    if (this._long1 !== undefined && lo === this._lo1 && hi === this._hi1) return this._long1;
    const long = Object.freeze(new this._Long(lo | 0, hi | 0, true));
    this._lo1 = this._lo0;
    this._hi1 = this._hi0;
    this._long1 = this._long0;
    this._lo0 = lo;
    this._hi0 = hi;
    this._long0 = long;
    return long;
  }

  override sfixed64(): LongLike {
    this._words();
    const lo = this._lo;
    const high = this._hi | 0;
    if (high >= -SAFE_HIGH && high < SAFE_HIGH) return (high * TWO_32 + lo) as unknown as LongLike;
    return new this._Long(lo | 0, high, false);
  }

  /** Reads the next 8 bytes into `_lo` and `_hi` (unsigned little-endian 32-bit words). */
  private _words(): void {
    const p = this.pos;
    if (p + 8 > this.len) throw outOfRange(this, 8);
    const b = this.buf;
    this.pos = p + 8;
    this._lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    this._hi = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
  }
}
