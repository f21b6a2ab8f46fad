// The protobufjs Reader the receiver hands to the generated OTLP decoders. It is
// protobufjs' own BufferReader (the decoders, the wire format and every bounds
// check stay protobufjs'), with the reads that an OTLP export repeats on every
// point made cheaper:
// - KeyValue messages (attributes): the same key and value are encoded as the
//   same bytes on every point of a series and in every request. A KeyValue with
//   a scalar value (string, bool, int, double), up to 128 bytes, is decoded by
//   protobufjs' generated decoder the first time and then found by its bytes in
//   a small fixed-size table (ByteTable): the same frozen message object comes
//   back without decoding or allocating. (schema.ts routes KeyValue decoding here.)
// - string(): metric names, units and the strings of KeyValues not seen before
//   are looked up by their bytes the same way (StringCache) and come back as the
//   same JS string.
// - fixed64(): the points of one collection share their start and end times. A
//   timestamp equal to one of the two read last returns the same (frozen) Long.
//   Values below 2^53 (counts, bucket counts) come back as exact numbers.
// - sfixed64(): int values below 2^53 come back as exact numbers.
// protobufjs itself returns numbers for 64-bit fields when long.js is absent: the
// converter takes a number or a Long for every 64-bit field (convert.ts `int64`).
// Decoding is deterministic, so equal bytes always give an equal message: the
// tables change what is allocated, never what is decoded.
import protobuf from 'protobufjs/light.js';

/** Node's Buffer has the UTF-8 decoder that protobufjs' BufferReader uses (undeclared in @types/node). */
type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string };
type LongLike = protobuf.Long;
type LongClass = new (low: number, high: number, unsigned: boolean) => LongLike;

/** Strings longer than this many bytes bypass the string table (decoded as protobufjs does). */
export const MAX_INTERNED_BYTES = 64;
/** Slots of the shared string table (a power of two): at most 4096 strings of ≤ 64 bytes. */
export const DEFAULT_STRING_SLOTS = 4096;
/** KeyValue messages longer than this many bytes are decoded every time. */
export const MAX_KEY_VALUE_BYTES = 128;
/** Slots of the shared KeyValue table: at most 2048 attributes of ≤ 128 bytes. */
export const DEFAULT_KEY_VALUE_SLOTS = 2048;

const TWO_32 = 4294967296;
/** 2^53 / 2^32: a fixed64 whose high word is below this is at most 2^53 - 1, an
 * sfixed64 whose high word is in [-2^21, 2^21) lies in [-2^53, 2^53): exact as doubles. */
const SAFE_HIGH = 2097152;

/**
 * Values by the bytes they were decoded from: a direct-mapped table of `slots`
 * entries, each holding up to `maxBytes` bytes, keyed by a hash of the bytes. An
 * entry is returned only when its bytes equal the requested ones (compared byte
 * by byte), so a hash collision costs a decode and never returns a wrong value;
 * a new entry replaces the slot's old one. Memory is fixed at creation (slots ×
 * maxBytes bytes plus the values), whatever the input: adversarial bodies can
 * evict entries, not grow the table.
 */
export class ByteTable<T> {
  readonly slots: number;
  readonly maxBytes: number;
  /** The slot of the last `find` (where `store` puts the value decoded after a miss). */
  slot = 0;
  /** Lookups answered from the table, and misses; for tests and tuning. */
  hits = 0;
  misses = 0;
  private readonly _mask: number;
  private readonly _values: (T | undefined)[];
  private readonly _lengths: Int32Array;
  private readonly _bytes: Uint8Array;
  private readonly _view: DataView;

  constructor(slots: number, maxBytes: number) {
    if (!Number.isInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) throw new RangeError(`ByteTable: slots must be a power of two, got ${slots}`);
    this.slots = slots;
    this.maxBytes = maxBytes;
    this._mask = slots - 1;
    this._values = new Array<T | undefined>(slots).fill(undefined);
    this._lengths = new Int32Array(slots).fill(-1);
    this._bytes = new Uint8Array(slots * maxBytes);
    this._view = new DataView(this._bytes.buffer);
  }

  /**
   * The value stored for `buf[start, end)` (1 to maxBytes bytes), or undefined;
   * `view` is a DataView of `buf` (bytes are hashed and compared four at a time).
   */
  find(buf: Uint8Array, view: DataView, start: number, end: number): T | undefined {
    const length = end - start;
    // A hash of the length and of the first, middle and last four bytes (where
    // names and values usually differ). It only picks the slot.
    let hash = Math.imul(0x811c9dc5 ^ length, 0x01000193);
    if (length >= 4) {
      hash = Math.imul(hash ^ view.getUint32(start, true), 0x01000193);
      hash = Math.imul(hash ^ view.getUint32(start + ((length - 4) >> 1), true), 0x01000193);
      hash = Math.imul(hash ^ view.getUint32(end - 4, true), 0x01000193);
    } else {
      for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i], 0x01000193);
    }
    // murmur3's finalizer: every input bit reaches the slot bits.
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    const slot = (hash ^ (hash >>> 16)) & this._mask;
    this.slot = slot;
    if (this._lengths[slot] === length && this._equal(buf, view, start, end, slot * this.maxBytes)) {
      this.hits++;
      return this._values[slot];
    }
    this.misses++;
    return undefined;
  }

  /** Stores `value` for `buf[start, end)` in `slot` (the one `find` chose). */
  store(slot: number, buf: Uint8Array, start: number, end: number, value: T): void {
    const bytes = this._bytes;
    const base = slot * this.maxBytes;
    const length = end - start;
    for (let i = 0; i < length; i++) bytes[base + i] = buf[start + i];
    this._lengths[slot] = length;
    this._values[slot] = value;
  }

  /** Entries held (at most `slots`). */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) if (this._lengths[i] >= 0) n++;
    return n;
  }

  /** Whether `buf[start, end)` equals the bytes stored from `base` on. */
  private _equal(buf: Uint8Array, view: DataView, start: number, end: number, base: number): boolean {
    const stored = this._view;
    let i = start;
    let j = base;
    for (; i + 4 <= end; i += 4, j += 4) if (view.getUint32(i, true) !== stored.getUint32(j, true)) return false;
    const bytes = this._bytes;
    for (; i < end; i++, j++) if (buf[i] !== bytes[j]) return false;
    return true;
  }
}

/**
 * Strings by their UTF-8 bytes (a ByteTable of strings of up to 64 bytes).
 * Bytes that are not valid UTF-8 are cached as what decoding them gives (U+FFFD
 * replacements), exactly what protobufjs would have returned for them.
 */
export class StringCache extends ByteTable<string> {
  constructor(slots = DEFAULT_STRING_SLOTS) {
    super(slots, MAX_INTERNED_BYTES);
  }

  /** The string of `buf[start, end)` (UTF-8); `view` is a DataView of `buf`. */
  get(buf: NodeBuffer, view: DataView, start: number, end: number): string {
    const length = end - start;
    if (length <= 0) return '';
    if (length > MAX_INTERNED_BYTES) return buf.utf8Slice(start, end);
    const found = this.find(buf, view, start, end);
    if (found !== undefined) return found;
    const slot = this.slot;
    const value = buf.utf8Slice(start, end);
    this.store(slot, buf, start, end, value);
    return value;
  }
}

/** The AnyValue members a cached KeyValue may hold (no arrays, kvlists or bytes). */
const SCALAR_MEMBERS = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue']);

/**
 * Freezes a decoded KeyValue whose value is a scalar (so that sharing it is
 * safe) and says whether it may be cached.
 */
function freezeScalarKeyValue(kv: any): boolean {
  for (const k of Object.keys(kv)) if (k !== 'key' && k !== 'value') return false;
  const v = kv.value;
  if (v !== undefined) {
    if (v === null || typeof v !== 'object') return false;
    for (const k of Object.keys(v)) if (!SCALAR_MEMBERS.has(k)) return false;
    if (typeof v.intValue === 'object' && v.intValue !== null) Object.freeze(v.intValue);
    Object.freeze(v);
  }
  Object.freeze(kv);
  return true;
}

/** A protobufjs generated decoder: `decode.call(type, reader, length, end, depth)`. */
export type GeneratedDecoder = (this: protobuf.Type, reader: protobuf.Reader, length?: number, end?: number, depth?: number) => protobuf.Message;

/** Shared by every receiver of the process: decoding is synchronous, one body at a time. */
const sharedStrings = new StringCache();
const sharedKeyValues = new ByteTable<protobuf.Message>(DEFAULT_KEY_VALUE_SLOTS, MAX_KEY_VALUE_BYTES);

function outOfRange(reader: protobuf.Reader, length: number): RangeError {
  // protobufjs' message for the same condition (reader.js indexOutOfRange).
  return new RangeError(`index out of range: ${reader.pos} + ${length} > ${reader.len}`);
}

export class OtlpReader extends protobuf.BufferReader {
  private readonly _strings: StringCache;
  private readonly _keyValues: ByteTable<protobuf.Message>;
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

  constructor(buffer: Buffer, strings: StringCache = sharedStrings, keyValues: ByteTable<protobuf.Message> = sharedKeyValues) {
    super(buffer);
    this._strings = strings;
    this._keyValues = keyValues;
    this._view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    // schema.ts makes sure protobufjs has a Long class.
    this._Long = protobuf.util.Long as unknown as LongClass;
  }

  /**
   * A KeyValue of `length` bytes (the next ones), decoded by protobufjs' generated
   * `decode` for `type` or found by its bytes. Anything unusual (past the end,
   * too long, nested so deep that its AnyValue would pass protobufjs' recursion
   * limit) goes to `decode`, which answers it as it always does.
   */
  keyValue(decode: GeneratedDecoder, type: protobuf.Type, length: number, end: number | undefined, depth: number | undefined): protobuf.Message {
    const start = this.pos;
    const stop = start + length;
    if (length <= 0 || length > MAX_KEY_VALUE_BYTES || stop > this.len || (depth ?? 0) + 1 > protobuf.Reader.recursionLimit) {
      return decode.call(type, this, length, end, depth);
    }
    const table = this._keyValues;
    const found = table.find(this.buf, this._view, start, stop);
    if (found !== undefined) {
      this.pos = stop;
      return found;
    }
    const slot = table.slot;
    const kv = decode.call(type, this, length, end, depth);
    if (this.pos === stop && freezeScalarKeyValue(kv)) table.store(slot, this.buf, start, stop, kv);
    return kv;
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

/**
 * Routes the decoding of `type` (KeyValue) through OtlpReader#keyValue when the
 * reader is an OtlpReader; any other reader gets protobufjs' generated decoder
 * unchanged. Uses protobufjs' own `setup()` to generate the decoder first.
 */
export function routeKeyValues(type: protobuf.Type): void {
  type.setup();
  const generated = type.decode as unknown as GeneratedDecoder;
  const routed = function decodeKeyValue(this: protobuf.Type, reader: protobuf.Reader | Uint8Array, length?: number, end?: number, depth?: number) {
    if (reader instanceof OtlpReader && length !== undefined) return reader.keyValue(generated, type, length, end, depth);
    return generated.call(type, reader as protobuf.Reader, length, end, depth);
  };
  type.decode = routed as unknown as protobuf.Type['decode'];
}
