// Tokens of the PromQL-like query language. One pass, no backtracking: the
// cost is linear in the expression's length, whatever the input.
import { QueryError, QueryErrorCode } from '../errors.js';

export type TokenType = 'ident' | 'number' | 'duration' | 'string' | 'op' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** Identifier, operator or punctuation text; the string's value for strings. */
  readonly text: string;
  /** Number value, or the duration in ms. */
  readonly value: number;
  readonly pos: number;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

// Longest first, so that `>=` wins over `>`.
const OPERATORS = ['=~', '!~', '!=', '==', '>=', '<=', '(', ')', '{', '}', '[', ']', ',', '=', '+', '-', '*', '/', '%', '^', '>', '<', ':'];

const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':';
const isIdentPart = (c: string) => isIdentStart(c) || (c >= '0' && c <= '9') || c === '.';
const isDigit = (c: string) => c >= '0' && c <= '9';

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fail = (message: string, pos: number): never => {
    throw new QueryError(QueryErrorCode.SYNTAX, message, pos, src);
  };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      // A comment runs to the end of the line.
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      // A duration (5m, 1h30m, 500ms) or a number (1, 1.5, 1e3, 0x1f).
      let j = i;
      while (j < src.length && isDigit(src[j])) j++;
      if (j > i && /[a-z]/.test(src[j] ?? '') && src.slice(i, j + 1) !== '0x' && !/^[eE][+-]?\d/.test(src.slice(j))) {
        let total = 0;
        let k = i;
        while (k < src.length && isDigit(src[k])) {
          let m = k;
          while (m < src.length && isDigit(src[m])) m++;
          const n = Number(src.slice(k, m));
          let u = m;
          while (u < src.length && /[a-z]/.test(src[u])) u++;
          const unit = src.slice(m, u);
          const size = DURATION_UNITS[unit];
          if (size === undefined) fail(`unknown duration unit "${unit}" (use ms, s, m, h, d, w or y)`, m);
          total += n * size;
          k = u;
        }
        if (k < src.length && isIdentPart(src[k])) fail('malformed duration', start);
        out.push({ type: 'duration', text: src.slice(start, k), value: total, pos: start });
        i = k;
        continue;
      }
      const m = /^(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(src.slice(i));
      if (m === null) fail('malformed number', start);
      const text = (m as RegExpExecArray)[0];
      i += text.length;
      if (i < src.length && isIdentPart(src[i])) fail(`malformed number "${src.slice(start, i + 1)}"`, start);
      out.push({ type: 'number', text, value: Number(text), pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdentPart(src[j])) j++;
      out.push({ type: 'ident', text: src.slice(i, j), value: 0, pos: start });
      i = j;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const [value, end] = readString(src, i, fail);
      out.push({ type: 'string', text: value, value: 0, pos: start });
      i = end;
      continue;
    }
    const op = OPERATORS.find(o => src.startsWith(o, i));
    if (op === undefined) fail(`unexpected character ${JSON.stringify(c)}`, i);
    out.push({ type: 'op', text: op as string, value: 0, pos: start });
    i += (op as string).length;
  }
  out.push({ type: 'eof', text: '', value: 0, pos: src.length });
  return out;
}

function readString(src: string, start: number, fail: (m: string, p: number) => never): [string, number] {
  const quote = src[start];
  let i = start + 1;
  if (quote === '`') {
    const end = src.indexOf('`', i);
    if (end < 0) fail('unterminated raw string', start);
    return [src.slice(i, end), end + 1];
  }
  let out = '';
  while (i < src.length) {
    const c = src[i];
    if (c === quote) return [out, i + 1];
    if (c === '\n') break;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (e !== undefined && simple[e] !== undefined) {
      out += simple[e];
      i += 2;
      continue;
    }
    if (e === 'u' || e === 'x') {
      const len = e === 'u' ? 4 : 2;
      const hex = src.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail('malformed escape sequence', i);
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 2 + len;
      continue;
    }
    fail(`unknown escape sequence "\\${e ?? ''}"`, i);
  }
  return fail('unterminated string', start);
}
