// Evaluation of a checked expression at one instant. Range queries call it once
// per step (engine.ts). Values are scalars, strings, instant vectors (samples:
// labels + a float or a histogram), and range selectors, which stay
// unevaluated until a function reads their windows straight from the store.
import { QueryError, QueryErrorCode } from '../errors.js';
import type { Labels, Series } from '../store/model.js';
import type { RingStore } from '../store/ring-store.js';
import { PointBuffer, WindowSummary } from '../store/scalar-store.js';
import type { AggregateNode, BinaryNode, CallNode, Expr, SelectorNode } from './ast.js';
import { type OverTime, extrapolatedRate, extrapolationFactor, instantValue, overTime, quantileOf } from './functions.js';
import { type HistValue, bucketQuantile } from './hist-value.js';
import { type CompiledMatcher, compileMatcher, labelOf, matchesAll } from './matchers.js';
import { Stream, histogramWindow, latestHistogram, latestScalar, readStream, summarizeStream } from './streams.js';

export class Sample {
  constructor(
    readonly labels: Labels,
    /** The metric name: kept by plain selectors, dropped by functions and aggregations. */
    readonly name: string | undefined,
    readonly value: number,
    readonly hist: HistValue | null,
    /** The series a plain selector read (for timestamp() and EWMA). */
    readonly series: Series | null = null,
  ) {}
}

export type Value =
  | { type: 'scalar'; value: number }
  | { type: 'string'; value: string }
  | { type: 'vector'; samples: Sample[] }
  | { type: 'matrix'; node: SelectorNode };

/** Extra answers a query may ask for (wired by the reader: HDR percentiles). */
export interface QueryExtensions {
  /** hdr_quantile(q, name[range]): per HDR recorder of `name`, its quantile over (start, end]. */
  hdrQuantile?(name: string, q: number, start: number, end: number): { labels: Labels; value: number }[] | undefined;
}

export interface EvalContext {
  readonly store: RingStore;
  readonly expression: string;
  readonly lookback: number;
  readonly warnings: Set<string>;
  readonly extensions: QueryExtensions;
  /** Evaluation stops with a LIMIT error after this wall time (ms). */
  readonly deadline: number;
}

const RANGE_FUNCTIONS: Record<string, OverTime | 'rate' | 'increase' | 'delta' | 'irate' | 'idelta'> = {
  rate: 'rate',
  increase: 'increase',
  delta: 'delta',
  irate: 'irate',
  idelta: 'idelta',
  avg_over_time: 'avg',
  min_over_time: 'min',
  max_over_time: 'max',
  sum_over_time: 'sum',
  count_over_time: 'count',
  last_over_time: 'last',
  stddev_over_time: 'stddev',
  stdvar_over_time: 'stdvar',
  present_over_time: 'present',
  changes: 'changes',
  resets: 'resets',
};

const MATH: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  sgn: Math.sign,
};

const EWMA_MINUTES: Record<string, 1 | 5 | 15> = { ewma_rate_1m: 1, ewma_rate_5m: 5, ewma_rate_15m: 15 };

export type ValueType = Value['type'];

/** Static check: argument counts and types, before any data is read. Returns the result type. */
export function check(e: Expr, expression: string): ValueType {
  const fail = (message: string, pos: number): never => {
    throw new QueryError(QueryErrorCode.INVALID, message, pos, expression);
  };
  const expect = (arg: Expr, want: ValueType, what: string): void => {
    const got = check(arg, expression);
    if (got !== want) fail(`${what} expects ${article(want)}, got ${article(got)}`, arg.pos);
  };
  switch (e.type) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'selector':
      return e.range === undefined ? 'vector' : 'matrix';
    case 'unary': {
      const t = check(e.expr, expression);
      if (t !== 'scalar' && t !== 'vector') fail(`unary ${e.op} expects a scalar or an instant vector`, e.pos);
      return t;
    }
    case 'binary': {
      const l = check(e.lhs, expression);
      const r = check(e.rhs, expression);
      for (const [t, side] of [
        [l, e.lhs],
        [r, e.rhs],
      ] as const) {
        if (t !== 'scalar' && t !== 'vector') fail(`operator ${e.op} expects scalars or instant vectors, got ${article(t)}`, side.pos);
      }
      const comparison = ['==', '!=', '>', '<', '>=', '<='].includes(e.op);
      if (comparison && l === 'scalar' && r === 'scalar' && !e.bool) fail(`comparisons between scalars need "bool" (${e.op} bool)`, e.pos);
      return l === 'scalar' && r === 'scalar' ? 'scalar' : 'vector';
    }
    case 'aggregate': {
      expect(e.expr, 'vector', `${e.op}(..)`);
      if (e.param !== undefined) expect(e.param, 'scalar', `the parameter of ${e.op}`);
      else if (['topk', 'bottomk', 'quantile'].includes(e.op)) fail(`${e.op} needs a parameter`, e.pos);
      return 'vector';
    }
    case 'call': {
      const { fn, args } = e;
      const arity = (n: number) => {
        if (args.length !== n) fail(`${fn}() takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`, e.pos);
      };
      if (RANGE_FUNCTIONS[fn] !== undefined) {
        arity(1);
        expect(args[0], 'matrix', `${fn}()`);
        return 'vector';
      }
      if (MATH[fn] !== undefined) {
        arity(1);
        expect(args[0], 'vector', `${fn}()`);
        return 'vector';
      }
      if (EWMA_MINUTES[fn] !== undefined) {
        arity(1);
        if (args[0].type !== 'selector' || args[0].range !== undefined) fail(`${fn}() takes a series selector such as ${fn}(http.requests)`, args[0].pos);
        return 'vector';
      }
      switch (fn) {
        case 'quantile_over_time':
        case 'hdr_quantile':
          arity(2);
          expect(args[0], 'scalar', `the quantile of ${fn}()`);
          expect(args[1], 'matrix', `${fn}()`);
          if (fn === 'hdr_quantile' && (args[1] as SelectorNode).name === undefined) fail('hdr_quantile() needs a metric name', args[1].pos);
          return 'vector';
        case 'histogram_quantile':
          arity(2);
          expect(args[0], 'scalar', 'the quantile of histogram_quantile()');
          expect(args[1], 'vector', 'histogram_quantile()');
          return 'vector';
        case 'histogram_count':
        case 'histogram_sum':
        case 'histogram_avg':
        case 'timestamp':
          arity(1);
          expect(args[0], 'vector', `${fn}()`);
          return 'vector';
        case 'round':
          if (args.length < 1 || args.length > 2) fail('round() takes 1 or 2 arguments', e.pos);
          expect(args[0], 'vector', 'round()');
          if (args.length === 2) expect(args[1], 'scalar', 'the precision of round()');
          return 'vector';
        case 'clamp':
          arity(3);
          expect(args[0], 'vector', 'clamp()');
          expect(args[1], 'scalar', 'the minimum of clamp()');
          expect(args[2], 'scalar', 'the maximum of clamp()');
          return 'vector';
        case 'clamp_min':
        case 'clamp_max':
          arity(2);
          expect(args[0], 'vector', `${fn}()`);
          expect(args[1], 'scalar', `the bound of ${fn}()`);
          return 'vector';
        case 'scalar':
          arity(1);
          expect(args[0], 'vector', 'scalar()');
          return 'scalar';
        case 'vector':
          arity(1);
          expect(args[0], 'scalar', 'vector()');
          return 'vector';
        case 'time':
          arity(0);
          return 'scalar';
        default:
          return fail(`unknown function ${fn}()`, e.pos);
      }
    }
  }
}

function article(t: ValueType): string {
  return t === 'scalar' ? 'a scalar' : t === 'string' ? 'a string' : t === 'vector' ? 'an instant vector' : 'a range vector (a selector with [range])';
}

const labelKeys = new WeakMap<object, string>();

/** A stable key of a label set (and name). */
export function labelKey(labels: Labels, name?: string): string {
  let k = labelKeys.get(labels);
  if (k === undefined) {
    k = JSON.stringify(
      Object.keys(labels)
        .sort()
        .map(key => [key, labels[key]]),
    );
    labelKeys.set(labels, k);
  }
  return name === undefined ? k : `${name}\u0000${k}`;
}

export class Evaluator {
  private readonly _streams = new Map<SelectorNode, Stream[]>();
  private readonly _buf = new PointBuffer(512);
  private readonly _sum = new WindowSummary();
  private readonly _point = { t: 0, v: 0 };

  constructor(private readonly _ctx: EvalContext) {}

  eval(e: Expr, T: number): Value {
    switch (e.type) {
      case 'number':
        return { type: 'scalar', value: e.value };
      case 'string':
        return { type: 'string', value: e.value };
      case 'selector':
        return e.range === undefined ? { type: 'vector', samples: this._instant(e, T) } : { type: 'matrix', node: e };
      case 'unary': {
        const v = this.eval(e.expr, T);
        if (e.op === '+') return v;
        if (v.type === 'scalar') return { type: 'scalar', value: -v.value };
        return {
          type: 'vector',
          samples: this._vector(v).map(s => new Sample(s.labels, undefined, -s.value, s.hist === null ? null : s.hist.clone().scaleBy(-1))),
        };
      }
      case 'binary':
        return this._binary(e, T);
      case 'aggregate':
        return { type: 'vector', samples: this._aggregate(e, T) };
      case 'call':
        return this._call(e, T);
    }
  }

  private _vector(v: Value): Sample[] {
    return v.type === 'vector' ? v.samples : [];
  }

  private _scalar(e: Expr, T: number): number {
    const v = this.eval(e, T);
    return v.type === 'scalar' ? v.value : Number.NaN;
  }

  private _warn(message: string): void {
    if (this._ctx.warnings.size < 32) this._ctx.warnings.add(message);
  }

  private _checkDeadline(): void {
    if (Date.now() > this._ctx.deadline) {
      throw new QueryError(QueryErrorCode.LIMIT, 'the query took longer than its timeout', -1, this._ctx.expression);
    }
  }

  // ---- selection ----------------------------------------------------------------------

  /** The streams a selector matches (resolved once per query). */
  streams(sel: SelectorNode): Stream[] {
    let cached = this._streams.get(sel);
    if (cached !== undefined) return cached;
    const { store, expression } = this._ctx;
    const nameMatchers: CompiledMatcher[] = [];
    const labelMatchers: CompiledMatcher[] = [];
    let name = sel.name;
    for (const m of sel.matchers) {
      if (m.name === '__name__') {
        if (m.op === '=' && name === undefined) name = m.value;
        else nameMatchers.push(compileMatcher(m, expression, sel.pos));
      } else {
        labelMatchers.push(compileMatcher(m, expression, sel.pos));
      }
    }
    const out: Stream[] = [];
    const add = (series: Series, view: Stream['view'], as: string) => {
      if (matchesAll(series.labels, labelMatchers)) out.push(new Stream(series, view, as));
    };
    const byFamily = (families: Iterable<import('../store/model.js').Family>, as: string | undefined, suffix: '' | 'bucket' | 'count' | 'sum') => {
      for (const f of families) {
        const histogram = f.kind === 'histogram' || f.kind === 'exponential_histogram';
        if (suffix !== '' && !histogram) continue;
        const n = as ?? f.name;
        if (nameMatchers.length > 0 && !nameMatchers.every(m => m.test(n) || f.aliases.some(a => m.test(a)))) continue;
        const view = suffix === 'count' ? 'count' : suffix === 'sum' ? 'sum' : histogram ? 'hist' : 'value';
        for (const s of f.series) add(s, view, n);
      }
    };
    if (name !== undefined) {
      const direct = store.byName.get(name);
      if (direct !== undefined) byFamily(direct, name, '');
      else {
        const m = /^(.*)_(bucket|count|sum)$/.exec(name);
        const base = m === null ? undefined : store.byName.get(m[1]);
        if (m !== null && base !== undefined) byFamily(base, name, m[2] as 'bucket' | 'count' | 'sum');
      }
    } else {
      byFamily(store.families.values(), undefined, '');
    }
    cached = out;
    this._streams.set(sel, out);
    return out;
  }

  private _instant(sel: SelectorNode, T: number): Sample[] {
    const { store, lookback } = this._ctx;
    const at = T - sel.offset;
    const out: Sample[] = [];
    const p = this._point;
    for (const s of this.streams(sel)) {
      if (s.view === 'hist') {
        const h = latestHistogram(store, s, at, lookback);
        if (h !== undefined) out.push(new Sample(s.series.labels, s.name, Number.NaN, h, s.series));
      } else if (latestScalar(store, s, at, lookback, p)) {
        out.push(new Sample(s.series.labels, s.name, p.v, null, s.series));
      }
    }
    return out;
  }

  // ---- functions ----------------------------------------------------------------------

  private _call(e: CallNode, T: number): Value {
    const { fn, args } = e;
    const range = RANGE_FUNCTIONS[fn];
    if (range !== undefined) return { type: 'vector', samples: this._rangeFunction(range, args[0] as SelectorNode, T) };
    const math = MATH[fn];
    if (math !== undefined) return { type: 'vector', samples: this._mapFloats(this.eval(args[0], T), math) };
    const minutes = EWMA_MINUTES[fn];
    if (minutes !== undefined) return { type: 'vector', samples: this._ewma(args[0] as SelectorNode, minutes, T) };
    switch (fn) {
      case 'quantile_over_time': {
        const q = this._scalar(args[0], T);
        return { type: 'vector', samples: this._overWindow(args[1] as SelectorNode, T, b => quantileOf(q, b.v, b.n)) };
      }
      case 'hdr_quantile':
        return { type: 'vector', samples: this._hdr(this._scalar(args[0], T), args[1] as SelectorNode, T) };
      case 'histogram_quantile':
        return { type: 'vector', samples: this._histogramQuantile(this._scalar(args[0], T), this._vector(this.eval(args[1], T))) };
      case 'histogram_count':
      case 'histogram_sum':
      case 'histogram_avg': {
        const out: Sample[] = [];
        for (const s of this._vector(this.eval(args[0], T))) {
          if (s.hist === null) continue;
          const v = fn === 'histogram_count' ? s.hist.count : fn === 'histogram_sum' ? s.hist.sum : s.hist.sum / s.hist.count;
          out.push(new Sample(s.labels, undefined, v, null));
        }
        return { type: 'vector', samples: out };
      }
      case 'timestamp': {
        const out: Sample[] = [];
        const p = this._point;
        for (const s of this._vector(this.eval(args[0], T))) {
          if (s.series !== null && s.series.lane >= 0 && this._ctx.store.scalars.at(s.series.lane, T - this._ctx.store.epoch, p)) {
            out.push(new Sample(s.labels, undefined, (p.t + this._ctx.store.epoch) / 1000, null));
          } else {
            out.push(new Sample(s.labels, undefined, T / 1000, null));
          }
        }
        return { type: 'vector', samples: out };
      }
      case 'round': {
        const to = args.length === 2 ? this._scalar(args[1], T) : 1;
        const inv = 1 / to;
        return { type: 'vector', samples: this._mapFloats(this.eval(args[0], T), v => Math.floor(v * inv + 0.5) / inv) };
      }
      case 'clamp': {
        const lo = this._scalar(args[1], T);
        const hi = this._scalar(args[2], T);
        if (lo > hi) return { type: 'vector', samples: [] };
        return { type: 'vector', samples: this._mapFloats(this.eval(args[0], T), v => Math.max(lo, Math.min(hi, v))) };
      }
      case 'clamp_min': {
        const b = this._scalar(args[1], T);
        return { type: 'vector', samples: this._mapFloats(this.eval(args[0], T), v => Math.max(b, v)) };
      }
      case 'clamp_max': {
        const b = this._scalar(args[1], T);
        return { type: 'vector', samples: this._mapFloats(this.eval(args[0], T), v => Math.min(b, v)) };
      }
      case 'scalar': {
        const v = this._vector(this.eval(args[0], T)).filter(s => s.hist === null);
        return { type: 'scalar', value: v.length === 1 ? v[0].value : Number.NaN };
      }
      case 'vector':
        return { type: 'vector', samples: [new Sample(Object.freeze({}), undefined, this._scalar(args[0], T), null)] };
      case 'time':
        return { type: 'scalar', value: T / 1000 };
      default:
        throw new QueryError(QueryErrorCode.INVALID, `unknown function ${fn}()`, e.pos, this._ctx.expression);
    }
  }

  private _mapFloats(v: Value, f: (x: number) => number): Sample[] {
    const out: Sample[] = [];
    for (const s of this._vector(v)) if (s.hist === null) out.push(new Sample(s.labels, undefined, f(s.value), null));
    return out;
  }

  private _rangeFunction(fn: OverTime | 'rate' | 'increase' | 'delta' | 'irate' | 'idelta', sel: SelectorNode, T: number): Sample[] {
    const { store } = this._ctx;
    const end = T - sel.offset;
    const start = end - (sel.range as number);
    const out: Sample[] = [];
    const w = this._sum;
    const b = this._buf;
    for (const s of this.streams(sel)) {
      const labels = s.series.labels;
      if (s.view === 'hist') {
        if (fn !== 'rate' && fn !== 'increase') {
          this._warn(`${fn}() is not defined for histograms; ${s.name} was skipped`);
          continue;
        }
        const h = this._histogramRate(s, start, end, fn === 'rate');
        if (h !== undefined) out.push(new Sample(labels, undefined, Number.NaN, h));
        continue;
      }
      let v: number | undefined;
      if (fn === 'rate' || fn === 'increase' || fn === 'delta') {
        summarizeStream(store, s, start, end, w, b);
        const counter = fn !== 'delta';
        v = extrapolatedRate(w, start, end, counter, fn === 'rate');
      } else if (fn === 'irate' || fn === 'idelta') {
        readStream(store, s, start, end, b);
        v = instantValue(b, fn === 'irate');
      } else {
        readStream(store, s, start, end, b);
        v = overTime(fn, b);
      }
      if (v !== undefined) out.push(new Sample(labels, undefined, v, null));
    }
    return out;
  }

  /** rate/increase of a histogram: classic per-le extrapolation for explicit buckets, one factor for exponential ones. */
  private _histogramRate(s: Stream, start: number, end: number, isRate: boolean): HistValue | undefined {
    const win = histogramWindow(this._ctx.store, s, start, end);
    if (win === undefined) return undefined;
    const inc = win.increase;
    if (inc.exponential) {
      return inc.scaleBy(extrapolationFactor(win.n, win.t0, win.t1, start, end, isRate));
    }
    const w = this._sum;
    w.n = win.n;
    w.t0 = win.t0;
    w.t1 = win.t1;
    const le = inc.le as Float64Array;
    const first = win.first.le as Float64Array;
    for (let i = 0; i < le.length; i++) le[i] = extrapolatedRate(w, start, end, true, isRate, first[i], le[i]) as number;
    inc.count = le[le.length - 1];
    inc.sum = extrapolatedRate(w, start, end, true, isRate, win.first.sum, inc.sum) as number;
    return inc;
  }

  private _overWindow(sel: SelectorNode, T: number, f: (b: PointBuffer) => number): Sample[] {
    const end = T - sel.offset;
    const start = end - (sel.range as number);
    const out: Sample[] = [];
    for (const s of this.streams(sel)) {
      if (!s.scalar) continue;
      if (readStream(this._ctx.store, s, start, end, this._buf) === 0) continue;
      out.push(new Sample(s.series.labels, undefined, f(this._buf), null));
    }
    return out;
  }

  private _hdr(q: number, sel: SelectorNode, T: number): Sample[] {
    const end = T - sel.offset;
    const result = this._ctx.extensions.hdrQuantile?.(sel.name as string, q, end - (sel.range as number), end);
    if (result === undefined) {
      this._warn(`no HDR recorder for ${sel.name} (see the hdr option); hdr_quantile() returned nothing`);
      return [];
    }
    return result.map(r => new Sample(r.labels, undefined, r.value, null));
  }

  private _histogramQuantile(q: number, samples: Sample[]): Sample[] {
    const out: Sample[] = [];
    // Classic form: float samples with an `le` label, grouped by their other labels.
    const classic = new Map<string, { labels: Labels; le: number[]; v: number[] }>();
    for (const s of samples) {
      if (s.hist !== null) {
        out.push(new Sample(s.labels, undefined, s.hist.quantile(q), null));
        continue;
      }
      const le = s.labels.le;
      if (le === undefined) continue;
      const { le: _le, ...rest } = s.labels;
      const key = labelKey(rest);
      let g = classic.get(key);
      if (g === undefined) classic.set(key, (g = { labels: Object.freeze(rest), le: [], v: [] }));
      g.le.push(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));
      g.v.push(s.value);
    }
    for (const g of classic.values()) {
      const order = g.le.map((_, i) => i).sort((a, b) => g.le[a] - g.le[b]);
      const bounds = order.map(i => g.le[i]);
      if (bounds[bounds.length - 1] !== Number.POSITIVE_INFINITY) {
        out.push(new Sample(g.labels, undefined, Number.NaN, null));
        continue;
      }
      out.push(new Sample(g.labels, undefined, bucketQuantile(q, bounds.slice(0, -1), Float64Array.from(order.map(i => g.v[i]))), null));
    }
    return out;
  }

  /** Load-average EWMA rates, maintained at ingest (Dropwizard's Meter formula, 1/5/15 minutes). */
  private _ewma(sel: SelectorNode, minutes: 1 | 5 | 15, T: number): Sample[] {
    const { store } = this._ctx;
    const out: Sample[] = [];
    const fresh = T >= store.newest - 2 * store.options.intervalMillis;
    for (const s of this.streams(sel)) {
      const series = s.series;
      if (series.family.kind !== 'counter' || s.view !== 'value') continue;
      if (fresh) {
        if (!series.ewmaReady) continue;
        out.push(new Sample(series.labels, undefined, minutes === 1 ? series.ewma1 : minutes === 5 ? series.ewma5 : series.ewma15, null));
        continue;
      }
      // At an earlier time: replay the points held up to T (the ring may start later than the average's memory).
      const b = this._buf;
      const n = readStream(store, s, Number.NEGATIVE_INFINITY, T, b);
      let ewma = 0;
      let ready = false;
      for (let i = 1; i < n; i++) {
        const dt = (b.t[i] - b.t[i - 1]) / 1000;
        if (!(dt > 0)) continue;
        const rate = (b.v[i] >= b.v[i - 1] ? b.v[i] - b.v[i - 1] : b.v[i]) / dt;
        if (!ready) {
          ewma = rate;
          ready = true;
        } else ewma += (1 - Math.exp(-dt / (60 * minutes))) * (rate - ewma);
      }
      if (ready) out.push(new Sample(series.labels, undefined, ewma, null));
    }
    return out;
  }

  // ---- operators ------------------------------------------------------------------------

  private _binary(e: BinaryNode, T: number): Value {
    const l = this.eval(e.lhs, T);
    const r = this.eval(e.rhs, T);
    const comparison = ['==', '!=', '>', '<', '>=', '<='].includes(e.op);
    if (l.type === 'scalar' && r.type === 'scalar') return { type: 'scalar', value: arith(e.op, l.value, r.value) };
    if (l.type === 'vector' && r.type === 'scalar') return { type: 'vector', samples: this._vectorScalar(e, l.samples, r.value, false, comparison) };
    if (l.type === 'scalar' && r.type === 'vector') return { type: 'vector', samples: this._vectorScalar(e, r.samples, l.value, true, comparison) };
    // One-to-one matching on identical label sets.
    const right = new Map<string, Sample>();
    for (const s of this._vector(r)) {
      const k = labelKey(s.labels);
      if (right.has(k)) {
        this._warn(`operator ${e.op}: several right-hand samples have the labels ${k}; only one-to-one matching is supported`);
        continue;
      }
      right.set(k, s);
    }
    const out: Sample[] = [];
    for (const ls of this._vector(l)) {
      const rs = right.get(labelKey(ls.labels));
      if (rs === undefined || ls.hist !== null || rs.hist !== null) continue;
      const v = arith(e.op, ls.value, rs.value);
      if (comparison && !e.bool) {
        if (v === 1) out.push(new Sample(ls.labels, ls.name, ls.value, null));
      } else out.push(new Sample(ls.labels, undefined, v, null));
    }
    return { type: 'vector', samples: out };
  }

  private _vectorScalar(e: BinaryNode, samples: Sample[], k: number, scalarLeft: boolean, comparison: boolean): Sample[] {
    const out: Sample[] = [];
    for (const s of samples) {
      if (s.hist !== null) {
        // A histogram scales by a scalar (h * 2, h / 60); nothing else is defined.
        if (e.op === '*' || (e.op === '/' && !scalarLeft))
          out.push(new Sample(s.labels, undefined, Number.NaN, s.hist.clone().scaleBy(e.op === '*' ? k : 1 / k)));
        continue;
      }
      const v = scalarLeft ? arith(e.op, k, s.value) : arith(e.op, s.value, k);
      if (comparison && !e.bool) {
        if (v === 1) out.push(new Sample(s.labels, s.name, s.value, null));
      } else out.push(new Sample(s.labels, undefined, v, null));
    }
    return out;
  }

  private _aggregate(e: AggregateNode, T: number): Sample[] {
    const samples = this._vector(this.eval(e.expr, T));
    const param = e.param === undefined ? Number.NaN : this._scalar(e.param, T);
    const groups = new Map<string, { labels: Labels; members: Sample[] }>();
    const keep = new Set(e.grouping);
    for (const s of samples) {
      const labels: Record<string, string> = {};
      if (e.without) {
        for (const k in s.labels) if (!keep.has(k)) labels[k] = s.labels[k];
      } else {
        for (const k of e.grouping) {
          const v = labelOf(s.labels, k);
          if (v !== '') labels[k] = v;
        }
      }
      const key = labelKey(labels);
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { labels: Object.freeze(labels), members: [] }));
      g.members.push(s);
    }
    const out: Sample[] = [];
    for (const { labels, members } of groups.values()) {
      this._checkDeadline();
      if (e.op === 'topk' || e.op === 'bottomk') {
        const floats = members.filter(m => m.hist === null);
        floats.sort((a, b) => (e.op === 'topk' ? b.value - a.value : a.value - b.value));
        for (const m of floats.slice(0, Math.max(0, Math.floor(param)))) out.push(new Sample(m.labels, undefined, m.value, null));
        continue;
      }
      const hists = members.filter(m => m.hist !== null);
      const floats = members.filter(m => m.hist === null);
      if (hists.length > 0 && (e.op === 'sum' || e.op === 'avg')) {
        let acc: HistValue | null = null;
        for (const m of hists) {
          if (acc === null) acc = (m.hist as HistValue).clone();
          else if (!acc.add(m.hist as HistValue)) this._warn(`${e.op}: histograms with different buckets cannot be added; some were skipped`);
        }
        if (acc !== null) out.push(new Sample(labels, undefined, Number.NaN, e.op === 'avg' ? acc.scaleBy(1 / hists.length) : acc));
        if (floats.length > 0) this._warn(`${e.op}: a group mixes histograms and floats; the floats were skipped`);
        continue;
      }
      if (floats.length === 0) {
        if (hists.length > 0 && e.op === 'count') out.push(new Sample(labels, undefined, hists.length, null));
        continue;
      }
      out.push(new Sample(labels, undefined, aggregateFloats(e.op, floats, param), null));
    }
    return out;
  }
}

function aggregateFloats(op: AggregateNode['op'], s: Sample[], param: number): number {
  const n = s.length;
  switch (op) {
    case 'sum':
    case 'avg': {
      let sum = 0;
      let c = 0;
      for (const x of s) {
        const t = sum + x.value;
        c += Math.abs(sum) >= Math.abs(x.value) ? sum - t + x.value : x.value - t + sum;
        sum = t;
      }
      return op === 'sum' ? sum + c : (sum + c) / n;
    }
    case 'min': {
      let m = Number.NaN;
      for (const x of s) if (x.value < m || m !== m) m = x.value;
      return m;
    }
    case 'max': {
      let m = Number.NaN;
      for (const x of s) if (x.value > m || m !== m) m = x.value;
      return m;
    }
    case 'count':
      return n;
    case 'group':
      return 1;
    case 'quantile':
      return quantileOf(
        param,
        s.map(x => x.value),
        n,
      );
    case 'stddev':
    case 'stdvar': {
      let mean = 0;
      for (const x of s) mean += x.value;
      mean /= n;
      let v = 0;
      for (const x of s) v += (x.value - mean) ** 2;
      v /= n;
      return op === 'stdvar' ? v : Math.sqrt(v);
    }
    default:
      return Number.NaN;
  }
}

function arith(op: BinaryNode['op'], a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
  }
}
