// A recursive-descent parser for the PromQL subset the ring answers. Operator
// precedence as in PromQL: ^ (right-assoc) > unary - > * / % > + - > comparisons.
// Bounded: expressions up to MAX_LENGTH characters, nesting up to MAX_DEPTH.
//
// Beyond PromQL: metric and label names may contain dots (OpenTelemetry names),
// and any name may be quoted: {"http.server.duration", "k-8"="x"}.
import { QueryError, QueryErrorCode } from '../errors.js';
import type { AggregateOp, BinaryOp, Expr, MatchOp, Matcher, SelectorNode } from './ast.js';
import { type Token, tokenize } from './lexer.js';

export const MAX_LENGTH = 16_384;
const MAX_DEPTH = 64;

const AGGREGATES = new Set<AggregateOp>(['sum', 'avg', 'min', 'max', 'count', 'group', 'topk', 'bottomk', 'quantile', 'stddev', 'stdvar']);
const PARAM_AGGREGATES = new Set<AggregateOp>(['topk', 'bottomk', 'quantile']);
const COMPARISONS = new Set(['==', '!=', '>', '<', '>=', '<=']);

export function parse(src: string): Expr {
  if (typeof src !== 'string') throw new QueryError(QueryErrorCode.SYNTAX, 'the query must be a string', -1, String(src));
  if (src.length > MAX_LENGTH) throw new QueryError(QueryErrorCode.LIMIT, `the query is longer than ${MAX_LENGTH} characters`, MAX_LENGTH, src.slice(0, 200));
  const p = new Parser(src, tokenize(src));
  if (p.peek().type === 'eof') throw new QueryError(QueryErrorCode.SYNTAX, 'empty query', 0, src);
  const e = p.expr(0);
  const t = p.peek();
  if (t.type !== 'eof') p.fail(`unexpected ${describe(t)} after a complete expression`, t);
  return e;
}

function describe(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of input';
    case 'string':
      return `string ${JSON.stringify(t.text)}`;
    case 'op':
      return `"${t.text}"`;
    default:
      return `${t.type} "${t.text}"`;
  }
}

class Parser {
  private _i = 0;
  private _depth = 0;

  constructor(
    private readonly _src: string,
    private readonly _tokens: Token[],
  ) {}

  peek(k = 0): Token {
    return this._tokens[Math.min(this._i + k, this._tokens.length - 1)];
  }

  private _next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this._i++;
    return t;
  }

  fail(message: string, t: Token): never {
    throw new QueryError(QueryErrorCode.SYNTAX, message, t.pos, this._src);
  }

  private _isOp(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'op' && t.text === text;
  }

  private _expect(text: string, what: string): Token {
    const t = this.peek();
    if (t.type !== 'op' || t.text !== text) this.fail(`expected "${text}" ${what}, got ${describe(t)}`, t);
    return this._next();
  }

  private _enter(t: Token): void {
    if (++this._depth > MAX_DEPTH) throw new QueryError(QueryErrorCode.LIMIT, `the query nests deeper than ${MAX_DEPTH} levels`, t.pos, this._src);
  }

  /** Binary expressions by precedence climbing; `min` is the lowest precedence accepted. */
  expr(min: number): Expr {
    this._enter(this.peek());
    let lhs = this._unary();
    for (;;) {
      const t = this.peek();
      const prec = t.type === 'op' ? precedence(t.text) : -1;
      if (prec < 0 || prec < min) break;
      this._next();
      let bool = false;
      if (COMPARISONS.has(t.text) && this.peek().type === 'ident' && this.peek().text === 'bool') {
        this._next();
        bool = true;
      }
      // ^ is right-associative; the others are left-associative.
      const rhs = t.text === '^' ? this.expr(prec) : this.expr(prec + 1);
      lhs = { type: 'binary', op: t.text as BinaryOp, bool, lhs, rhs, pos: t.pos };
    }
    this._depth--;
    return lhs;
  }

  private _unary(): Expr {
    const t = this.peek();
    if (t.type === 'op' && (t.text === '-' || t.text === '+')) {
      this._next();
      this._enter(t);
      // Unary minus binds looser than ^: -2^2 = -(2^2).
      const operand = this.expr(precedence('^'));
      this._depth--;
      if (operand.type === 'number') return { ...operand, value: t.text === '-' ? -operand.value : operand.value, pos: t.pos };
      return { type: 'unary', op: t.text as '-' | '+', expr: operand, pos: t.pos };
    }
    return this._postfix(this._primary());
  }

  private _postfix(e: Expr): Expr {
    if (this._isOp('[')) {
      const t = this.peek();
      if (e.type !== 'selector' || e.range !== undefined) this.fail('a range [..] applies to a series selector only (subqueries are not supported)', t);
      this._next();
      const d = this.peek();
      if (d.type !== 'duration') this.fail(`expected a duration such as 5m inside [..], got ${describe(d)}`, d);
      this._next();
      if (d.value <= 0) this.fail('the range must be positive', d);
      this._expect(']', 'to close the range');
      e = { ...(e as SelectorNode), range: d.value };
    }
    const o = this.peek();
    if (o.type === 'ident' && o.text === 'offset') {
      if (e.type !== 'selector') this.fail('offset applies to a series selector only', o);
      this._next();
      let sign = 1;
      if (this._isOp('-')) {
        this._next();
        sign = -1;
      }
      const d = this.peek();
      if (d.type !== 'duration') this.fail(`expected a duration after offset, got ${describe(d)}`, d);
      this._next();
      e = { ...(e as SelectorNode), offset: sign * d.value };
    }
    return e;
  }

  private _primary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case 'number':
        this._next();
        return { type: 'number', value: t.value, pos: t.pos };
      case 'string':
        this._next();
        return { type: 'string', value: t.text, pos: t.pos };
      case 'duration':
        return this.fail(`unexpected duration "${t.text}" (durations belong in [..] or after offset)`, t);
      case 'eof':
        return this.fail('unexpected end of input: an expression is missing', t);
      case 'op':
        if (t.text === '(') {
          this._next();
          const e = this.expr(0);
          this._expect(')', 'to close "("');
          return e;
        }
        if (t.text === '{') return this._selector(undefined, t);
        return this.fail(`unexpected ${describe(t)}`, t);
      case 'ident': {
        const name = t.text;
        const lower = name.toLowerCase();
        if (AGGREGATES.has(name as AggregateOp) && (this._isOp('(', 1) || isGrouping(this.peek(1)))) return this._aggregate();
        if (this._isOp('(', 1)) return this._call();
        if (lower === 'inf' || lower === 'nan') {
          this._next();
          return { type: 'number', value: lower === 'inf' ? Number.POSITIVE_INFINITY : Number.NaN, pos: t.pos };
        }
        this._next();
        return this._selector(name, t);
      }
    }
  }

  private _selector(name: string | undefined, at: Token): SelectorNode {
    const matchers: Matcher[] = [];
    if (this._isOp('{')) {
      this._next();
      while (!this._isOp('}')) {
        const l = this.peek();
        let label: string;
        if (l.type === 'ident') label = l.text;
        else if (l.type === 'string') label = l.text;
        else return this.fail(`expected a label name in {..}, got ${describe(l)}`, l);
        this._next();
        if (l.type === 'string' && (this._isOp(',') || this._isOp('}'))) {
          // {"metric.name"}: a quoted metric name.
          if (name !== undefined) this.fail('the metric name is given twice', l);
          name = label;
        } else {
          const o = this.peek();
          if (o.type !== 'op' || !['=', '!=', '=~', '!~'].includes(o.text))
            this.fail(`expected one of = != =~ !~ after label "${label}", got ${describe(o)}`, o);
          this._next();
          const v = this.peek();
          if (v.type !== 'string') this.fail(`expected a quoted label value after ${o.text}, got ${describe(v)}`, v);
          this._next();
          matchers.push({ name: label, op: o.text as MatchOp, value: v.text });
        }
        if (this._isOp(',')) this._next();
        else if (!this._isOp('}')) this.fail(`expected "," or "}" in the label matchers, got ${describe(this.peek())}`, this.peek());
      }
      this._next();
    }
    if (name === undefined && matchers.length === 0) this.fail('a selector needs a metric name or at least one label matcher', at);
    return { type: 'selector', name, matchers, range: undefined, offset: 0, pos: at.pos };
  }

  private _grouping(): { labels: string[]; without: boolean } {
    const kw = this._next();
    this._expect('(', `after "${kw.text}"`);
    const labels: string[] = [];
    while (!this._isOp(')')) {
      const l = this.peek();
      if (l.type !== 'ident' && l.type !== 'string') this.fail(`expected a label name in ${kw.text} (..), got ${describe(l)}`, l);
      labels.push(l.text);
      this._next();
      if (this._isOp(',')) this._next();
      else if (!this._isOp(')')) this.fail(`expected "," or ")" in ${kw.text} (..), got ${describe(this.peek())}`, this.peek());
    }
    this._next();
    return { labels, without: kw.text === 'without' };
  }

  private _aggregate(): Expr {
    const t = this._next();
    const op = t.text as AggregateOp;
    let grouping: { labels: string[]; without: boolean } | undefined;
    if (isGrouping(this.peek())) grouping = this._grouping();
    this._expect('(', `after ${op}`);
    let param: Expr | undefined;
    if (PARAM_AGGREGATES.has(op)) {
      param = this.expr(0);
      this._expect(',', `after the parameter of ${op}`);
    }
    const expr = this.expr(0);
    this._expect(')', `to close ${op}(..)`);
    if (grouping === undefined && isGrouping(this.peek())) grouping = this._grouping();
    return { type: 'aggregate', op, grouping: grouping?.labels ?? [], without: grouping?.without ?? false, param, expr, pos: t.pos };
  }

  private _call(): Expr {
    const t = this._next();
    this._next(); // (
    const args: Expr[] = [];
    while (!this._isOp(')')) {
      args.push(this.expr(0));
      if (this._isOp(',')) this._next();
      else if (!this._isOp(')')) this.fail(`expected "," or ")" in the arguments of ${t.text}, got ${describe(this.peek())}`, this.peek());
    }
    this._next();
    return { type: 'call', fn: t.text, args, pos: t.pos };
  }
}

function isGrouping(t: Token): boolean {
  return t.type === 'ident' && (t.text === 'by' || t.text === 'without');
}

function precedence(op: string): number {
  switch (op) {
    case '^':
      return 5;
    case '*':
    case '/':
    case '%':
      return 4;
    case '+':
    case '-':
      return 3;
    case '==':
    case '!=':
    case '>':
    case '<':
    case '>=':
    case '<=':
      return 2;
    default:
      return -1;
  }
}
