// The body of a sync message (`data`), in this order, each list ended by a 0:
//
//   forgets      (sid + 1)*                         series the worker released (idle): the primary unbinds them
//   instruments  (iid + 1, scope name, scope version, schema URL, name, description, unit,
//                 u8 kind, u8 valueType, uvar nBounds, f64 × nBounds)*
//   series       (sid + 1, uvar iid, uvar nAttributes, (key, value) × nAttributes)*
//   sums         (uvar sid gap ≥ 1, num delta)*    sid gap: sid − previous sid (previous starts at −1)
//   gauges       (uvar sid gap ≥ 1, num value)*
//   histograms   (uvar sid gap ≥ 1, uvar count, num sum, num min, num max, (uvar bucket gap ≥ 1, uvar count)* 0)*
//
// Strings (names, keys, string values) are references into a per-session table:
//   0, str   a new string, appended to both sides' tables
//   1, str   an inline string (the table is full, STRING_TABLE_LIMIT)
//   id + 2   a string sent before
// Attribute values: u8 tag, then 0 string (ref) │ 1 number (num) │ 2 true │ 3 false │
// 4 array (uvar length, elements tagged alike, 5 for null).
//
// A series is defined once per session (attributes travel once), then only its
// id and values travel, and only in syncs where it changed.
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { STRING_TABLE_LIMIT } from './messages.js';
import { ProtocolError, type Reader, type Writer } from './wire.js';

export const V_STRING = 0;
export const V_NUMBER = 1;
export const V_TRUE = 2;
export const V_FALSE = 3;
export const V_ARRAY = 4;
export const V_NULL = 5;

/** The worker's half of a session's string table. */
export class StringTable {
  private readonly _ids = new Map<string, number>();

  get size(): number {
    return this._ids.size;
  }

  write(w: Writer, s: string): void {
    const id = this._ids.get(s);
    if (id !== undefined) {
      w.uvar(id + 2);
      return;
    }
    if (this._ids.size < STRING_TABLE_LIMIT) {
      this._ids.set(s, this._ids.size);
      w.u8(0);
    } else {
      w.u8(1);
    }
    w.str(s);
  }

  clear(): void {
    this._ids.clear();
  }
}

/** The primary's half. */
export class StringList {
  private readonly _strings: string[] = [];

  read(r: Reader): string {
    const ref = r.uvar();
    if (ref >= 2) {
      const s = this._strings[ref - 2];
      if (s === undefined) throw new ProtocolError(`unknown string #${ref - 2}`);
      return s;
    }
    const s = r.str();
    if (ref === 0) {
      if (this._strings.length >= STRING_TABLE_LIMIT) throw new ProtocolError('string table overflow');
      this._strings.push(s);
    }
    return s;
  }
}

export function writeAttributes(w: Writer, strings: StringTable, keys: readonly string[], values: readonly unknown[]): void {
  w.uvar(keys.length);
  for (let i = 0; i < keys.length; i++) {
    strings.write(w, keys[i]);
    writeValue(w, strings, values[i], true);
  }
}

function writeValue(w: Writer, strings: StringTable, value: unknown, top: boolean): void {
  switch (typeof value) {
    case 'string':
      w.u8(V_STRING);
      strings.write(w, value);
      return;
    case 'number':
      w.u8(V_NUMBER);
      w.num(value);
      return;
    case 'boolean':
      w.u8(value ? V_TRUE : V_FALSE);
      return;
    default:
      if (top && Array.isArray(value)) {
        w.u8(V_ARRAY);
        w.uvar(value.length);
        for (const element of value) writeValue(w, strings, element, false);
        return;
      }
      // Exported attributes hold only the above (the SDK normalises them); anything else travels as null.
      w.u8(V_NULL);
  }
}

export function readAttributes(r: Reader, strings: StringList): Attributes {
  const n = r.uvar();
  const attributes: Attributes = {};
  for (let i = 0; i < n; i++) {
    const key = strings.read(r);
    const value = readValue(r, strings, true);
    if (key !== '__proto__') attributes[key] = value as AttributeValue;
  }
  return attributes;
}

function readValue(r: Reader, strings: StringList, top: boolean): unknown {
  const tag = r.u8();
  switch (tag) {
    case V_STRING:
      return strings.read(r);
    case V_NUMBER:
      return r.num();
    case V_TRUE:
      return true;
    case V_FALSE:
      return false;
    case V_NULL:
      if (!top) return null;
      break;
    case V_ARRAY: {
      if (!top) break;
      const length = r.uvar();
      if (length > r.bytes.length - r.pos) throw new ProtocolError('array longer than the message');
      const array: unknown[] = new Array(length);
      for (let i = 0; i < length; i++) array[i] = readValue(r, strings, false);
      return array;
    }
  }
  throw new ProtocolError(`bad attribute value tag ${tag}`);
}
