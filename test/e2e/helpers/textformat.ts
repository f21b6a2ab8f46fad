// A reader for the protobuf text format, as printed by `protoc --decode` and by
// python-protobuf's `text_format.MessageToString`: both third-party decoders of
// the OTLP tests print what they decoded in this format, so one reader serves both.
//
//   resource_metrics {               a message field: name, then a block
//     scope_metrics {
//       metrics {
//         name: "e2e.requests"      a scalar field: name, colon, value
//         sum { ... }
//       }
//     }
//   }
//   14: 0x0000000000000000          a field the schema does not know, by number
//
// Every field is kept as a list (the text does not say which fields are repeated).
// Scalars stay text: strings unescaped, numbers and enum names as printed.

export interface TextMessage {
  [field: string]: (string | TextMessage)[];
}

function unescapeBytes(body: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      continue;
    }
    const next = body[++i];
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92, a: 7, b: 8, f: 12, v: 11, '?': 63 };
    if (next in simple) bytes.push(simple[next]);
    else if (next === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))![0];
      bytes.push(Number.parseInt(hex, 16));
      i += hex.length;
    } else if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      bytes.push(Number.parseInt(oct, 8));
      i += oct.length - 1;
    } else throw new Error(`unknown escape \\${next}`);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
}

export function parseTextFormat(text: string): TextMessage {
  const token = /\s*(?:([A-Za-z_][A-Za-z0-9_]*|\d+)\s*(:\s*(?:"((?:[^"\\\n]|\\.)*)"|([^\s{}]+))|\{)|(\}))/y;
  const root: TextMessage = {};
  const stack: TextMessage[] = [root];
  let at = 0;
  while (true) {
    const rest = /\s*/y;
    rest.lastIndex = at;
    rest.exec(text);
    if (rest.lastIndex === text.length) break;
    token.lastIndex = at;
    const m = token.exec(text);
    if (m === null) throw new Error(`text format: cannot read at ${at}: ${JSON.stringify(text.slice(at, at + 60))}`);
    at = token.lastIndex;
    const top = stack[stack.length - 1];
    if (m[5] !== undefined) {
      if (stack.length === 1) throw new Error('text format: unbalanced }');
      stack.pop();
      continue;
    }
    const field = m[1];
    top[field] ??= [];
    if (m[2] === '{') {
      const child: TextMessage = {};
      top[field].push(child);
      stack.push(child);
    } else {
      top[field].push(m[3] !== undefined ? unescapeBytes(m[3]) : m[4]);
    }
  }
  if (stack.length !== 1) throw new Error('text format: unclosed {');
  return root;
}

// ---- typed access ---------------------------------------------------------------

export function messages(msg: TextMessage, field: string): TextMessage[] {
  return (msg[field] ?? []).map(v => {
    if (typeof v === 'string') throw new Error(`${field} is a scalar, expected a message`);
    return v;
  });
}

export function message(msg: TextMessage, field: string): TextMessage {
  const all = messages(msg, field);
  if (all.length !== 1) throw new Error(`expected one ${field}, found ${all.length}`);
  return all[0];
}

export function scalars(msg: TextMessage, field: string): string[] {
  return (msg[field] ?? []).map(v => {
    if (typeof v !== 'string') throw new Error(`${field} is a message, expected a scalar`);
    return v;
  });
}

/** A scalar field; undefined when absent (proto3: absent = default value). */
export function scalar(msg: TextMessage, field: string): string | undefined {
  const all = scalars(msg, field);
  if (all.length > 1) throw new Error(`expected at most one ${field}, found ${all.length}`);
  return all[0];
}

/** A double or integer as printed (`0.75`, `1e-05`, `inf`, `-inf`, `nan`); absent = 0. */
export function num(msg: TextMessage, field: string): number {
  const text = scalar(msg, field);
  if (text === undefined) return 0;
  const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: Number.NaN, infinity: Infinity, '-infinity': -Infinity };
  const lower = text.toLowerCase();
  if (lower in special) return special[lower];
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`${field}: not a number: ${text}`);
  return n;
}

/** A 64-bit integer field as a bigint; absent = 0n. */
export function int64(msg: TextMessage, field: string): bigint {
  const text = scalar(msg, field);
  return text === undefined ? 0n : BigInt(text);
}

export function nums(msg: TextMessage, field: string): number[] {
  return scalars(msg, field).map(Number);
}

/** Names of fields the schema did not know (printed by their field number). */
export function unknownFields(msg: TextMessage, path = ''): string[] {
  const out: string[] = [];
  for (const [field, values] of Object.entries(msg)) {
    if (/^\d+$/.test(field)) out.push(`${path}${field}`);
    for (const v of values) if (typeof v !== 'string') out.push(...unknownFields(v, `${path}${field}.`));
  }
  return out;
}
