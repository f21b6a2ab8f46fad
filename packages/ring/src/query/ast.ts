// The query language's syntax tree. The string form (`ring.query("rate(x[1m])")`)
// parses into it, and the typed API builds it directly (builders below), so
// both go through one evaluator. Every node keeps the offset it was parsed
// from, for error messages.

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'topk' | 'bottomk' | 'quantile' | 'stddev' | 'stdvar';
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '>' | '<' | '>=' | '<=';

export interface NumberNode {
  readonly type: 'number';
  readonly value: number;
  readonly pos: number;
}

export interface StringNode {
  readonly type: 'string';
  readonly value: string;
  readonly pos: number;
}

/** `name{matchers}` with an optional `[range]` and `offset`; times in ms. */
export interface SelectorNode {
  readonly type: 'selector';
  readonly name: string | undefined;
  readonly matchers: readonly Matcher[];
  /** Present for a range selector (`x[5m]`). */
  readonly range: number | undefined;
  readonly offset: number;
  readonly pos: number;
}

export interface CallNode {
  readonly type: 'call';
  readonly fn: string;
  readonly args: readonly Expr[];
  readonly pos: number;
}

export interface AggregateNode {
  readonly type: 'aggregate';
  readonly op: AggregateOp;
  /** Grouping labels: `by (…)` keeps them, `without (…)` drops them. */
  readonly grouping: readonly string[];
  readonly without: boolean;
  /** `topk`/`bottomk`/`quantile` parameter. */
  readonly param: Expr | undefined;
  readonly expr: Expr;
  readonly pos: number;
}

export interface BinaryNode {
  readonly type: 'binary';
  readonly op: BinaryOp;
  /** Comparisons return 0/1 instead of filtering. */
  readonly bool: boolean;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly pos: number;
}

export interface UnaryNode {
  readonly type: 'unary';
  readonly op: '-' | '+';
  readonly expr: Expr;
  readonly pos: number;
}

export type Expr = NumberNode | StringNode | SelectorNode | CallNode | AggregateNode | BinaryNode | UnaryNode;

// ---- builders: the typed form ---------------------------------------------------------

/** Label matchers from `{ label: value }` (equality) or explicit matchers. */
export type MatchersInput = Readonly<Record<string, string>> | readonly Matcher[];

function toMatchers(m: MatchersInput | undefined): Matcher[] {
  if (m === undefined) return [];
  if (Array.isArray(m)) return [...(m as readonly Matcher[])];
  return Object.entries(m as Record<string, string>).map(([name, value]) => ({ name, op: '=' as const, value }));
}

/** An instant selector: the latest point of each matching series. */
export function selector(name: string | undefined, matchers?: MatchersInput): SelectorNode {
  return { type: 'selector', name, matchers: toMatchers(matchers), range: undefined, offset: 0, pos: -1 };
}

/** A range selector over the last `rangeMillis`. */
export function rangeSelector(name: string | undefined, rangeMillis: number, matchers?: MatchersInput): SelectorNode {
  return { type: 'selector', name, matchers: toMatchers(matchers), range: rangeMillis, offset: 0, pos: -1 };
}

export function call(fn: string, ...args: (Expr | number)[]): CallNode {
  return { type: 'call', fn, args: args.map(a => (typeof a === 'number' ? num(a) : a)), pos: -1 };
}

export function num(value: number): NumberNode {
  return { type: 'number', value, pos: -1 };
}

export function aggregate(op: AggregateOp, expr: Expr, options: { by?: string[]; without?: string[]; param?: number } = {}): AggregateNode {
  return {
    type: 'aggregate',
    op,
    grouping: options.without ?? options.by ?? [],
    without: options.without !== undefined,
    param: options.param === undefined ? undefined : num(options.param),
    expr,
    pos: -1,
  };
}

export function binary(op: BinaryOp, lhs: Expr | number, rhs: Expr | number, bool = false): BinaryNode {
  return { type: 'binary', op, bool, lhs: typeof lhs === 'number' ? num(lhs) : lhs, rhs: typeof rhs === 'number' ? num(rhs) : rhs, pos: -1 };
}

/** The expression back as a string (for logs, the dashboard's query box). */
export function format(e: Expr): string {
  switch (e.type) {
    case 'number':
      return Number.isNaN(e.value) ? 'NaN' : e.value === Number.POSITIVE_INFINITY ? 'Inf' : e.value === Number.NEGATIVE_INFINITY ? '-Inf' : String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'selector': {
      const name = e.name !== undefined && /^[a-zA-Z_:][a-zA-Z0-9_:.]*$/.test(e.name) ? e.name : undefined;
      const ms = e.matchers.map(m => `${/^[a-zA-Z_][a-zA-Z0-9_.]*$/.test(m.name) ? m.name : JSON.stringify(m.name)}${m.op}${JSON.stringify(m.value)}`);
      if (e.name !== undefined && name === undefined) ms.unshift(JSON.stringify(e.name));
      let s = `${name ?? ''}${ms.length > 0 || name === undefined ? `{${ms.join(',')}}` : ''}`;
      if (e.range !== undefined) s += `[${formatDuration(e.range)}]`;
      if (e.offset !== 0) s += ` offset ${formatDuration(e.offset)}`;
      return s;
    }
    case 'call':
      return `${e.fn}(${e.args.map(format).join(', ')})`;
    case 'aggregate': {
      const g = e.grouping.length > 0 || e.without ? ` ${e.without ? 'without' : 'by'} (${e.grouping.join(', ')})` : '';
      return `${e.op}${g} (${e.param !== undefined ? `${format(e.param)}, ` : ''}${format(e.expr)})`;
    }
    case 'binary':
      return `(${format(e.lhs)} ${e.op}${e.bool ? ' bool' : ''} ${format(e.rhs)})`;
    case 'unary':
      return `${e.op}${format(e.expr)}`;
  }
}

export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [u, size] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${u}`;
      rest %= size;
    }
  }
  return out;
}
