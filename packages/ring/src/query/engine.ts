// Instant and range queries over the ring: parse (or take a typed expression),
// check, evaluate at one time or at every step, and shape the result.
// Limits keep every query bounded: at most MAX_STEPS steps, MAX_POINTS points
// in a range result, and a wall-clock timeout.
import { QueryError, QueryErrorCode } from '../errors.js';
import type { Labels } from '../store/model.js';
import type { RingStore } from '../store/ring-store.js';
import { type Expr, format } from './ast.js';
import { type EvalContext, Evaluator, type QueryExtensions, type Sample, check, labelKey } from './evaluate.js';
import type { HistogramSnapshot } from './hist-value.js';
import { parse } from './parser.js';

export const MAX_STEPS = 11_000;
export const MAX_POINTS = 5_000_000;

/** A duration: ms, or a PromQL duration string such as "5m" or "1h30m". */
export type Duration = number | string;

export interface QueryOptions {
  /** Evaluation time (ms since the epoch, or a Date). Default: now. For a range query, its end. */
  time?: number | Date;
  /** Makes it a range query over (time - range, time], evaluated every `step`. */
  range?: Duration;
  /** Resolution of a range query. Default: the ring's interval. */
  step?: Duration;
  /** Abort with a QueryError (code "limit") after this long. Default 10 s. */
  timeoutMillis?: number;
}

export interface InstantSample {
  readonly labels: Labels;
  /** The metric name, for samples of a plain selector. */
  readonly name?: string;
  /** The value; NaN for a histogram sample. */
  readonly value: number;
  /** Present for histogram-valued samples (`rate(h[1m])`, `h`). */
  readonly histogram?: HistogramSnapshot;
}

export interface InstantResult {
  readonly type: 'vector' | 'scalar';
  /** Evaluation time, ms. */
  readonly time: number;
  /** The samples of a vector result (a scalar result has one, with no labels). */
  readonly samples: InstantSample[];
  readonly warnings: string[];
}

export interface RangeSeries {
  readonly labels: Labels;
  readonly name?: string;
  /** Step times (ms) at which the series had a value, and the values. */
  readonly times: number[];
  readonly values: number[];
  /** For histogram-valued series: one snapshot per time. */
  readonly histograms?: HistogramSnapshot[];
}

export interface RangeResult {
  readonly type: 'matrix';
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly series: RangeSeries[];
  readonly warnings: string[];
}

export function parseDuration(d: Duration, what: string): number {
  if (typeof d === 'number') {
    if (!(d >= 0) || !Number.isFinite(d)) throw new QueryError(QueryErrorCode.INVALID, `${what} must be a non-negative number of ms, got ${d}`, -1, '');
    return d;
  }
  const m = /^\s*((\d+)(ms|s|m|h|d|w|y))+\s*$/.test(d);
  if (!m) throw new QueryError(QueryErrorCode.INVALID, `${what} must be ms or a duration such as "5m", got ${JSON.stringify(d)}`, -1, '');
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  let total = 0;
  for (const part of d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(part[1]) * units[part[2]];
  return total;
}

export class QueryEngine {
  extensions: QueryExtensions = {};

  constructor(private readonly _store: RingStore) {}

  /** Parses and checks an expression (without evaluating it): throws QueryError when malformed. */
  compile(expr: string | Expr): { expr: Expr; text: string } {
    const e = typeof expr === 'string' ? parse(expr) : expr;
    const text = typeof expr === 'string' ? expr : format(expr);
    if (e === null || typeof e !== 'object' || typeof (e as Expr).type !== 'string') {
      throw new QueryError(QueryErrorCode.INVALID, 'a query is a string or an expression built with the query builders', -1, String(expr));
    }
    const t = check(e, text);
    if (t === 'matrix') {
      throw new QueryError(
        QueryErrorCode.INVALID,
        'a range vector cannot be the result: apply a function such as rate() or avg_over_time() to it',
        e.pos,
        text,
      );
    }
    return { expr: e, text };
  }

  instant(expr: string | Expr, options: QueryOptions = {}): InstantResult {
    const { expr: e, text } = this.compile(expr);
    const time = timeOf(options.time, this._store.options.now());
    const ctx = this._context(text, options);
    const v = new Evaluator(ctx).eval(e, time);
    const warnings = [...ctx.warnings];
    if (v.type === 'scalar') return { type: 'scalar', time, samples: [{ labels: EMPTY, value: v.value }], warnings };
    if (v.type === 'string') throw new QueryError(QueryErrorCode.INVALID, 'a string cannot be the result of a query', e.pos, text);
    if (v.type === 'matrix') throw new QueryError(QueryErrorCode.INVALID, 'a range vector cannot be the result', e.pos, text);
    return { type: 'vector', time, samples: v.samples.map(publicSample), warnings };
  }

  range(expr: string | Expr, options: QueryOptions & { range: Duration }): RangeResult {
    const { expr: e, text } = this.compile(expr);
    const end = timeOf(options.time, this._store.options.now());
    const range = parseDuration(options.range, 'range');
    const step = options.step === undefined ? this._store.options.intervalMillis : parseDuration(options.step, 'step');
    if (!(step > 0)) throw new QueryError(QueryErrorCode.INVALID, 'step must be positive', -1, text);
    const steps = Math.floor(range / step) + 1;
    if (steps > MAX_STEPS) {
      throw new QueryError(QueryErrorCode.LIMIT, `range / step gives ${steps} steps; at most ${MAX_STEPS} (use a larger step)`, -1, text);
    }
    const ctx = this._context(text, options);
    const evaluator = new Evaluator(ctx);
    const start = end - (steps - 1) * step;
    const out = new Map<string, { labels: Labels; name?: string; times: number[]; values: number[]; histograms?: HistogramSnapshot[] }>();
    let points = 0;
    for (let i = 0; i < steps; i++) {
      const t = start + i * step;
      if (Date.now() > ctx.deadline) throw new QueryError(QueryErrorCode.LIMIT, 'the query took longer than its timeout', -1, text);
      const v = evaluator.eval(e, t);
      const samples: Sample[] =
        v.type === 'vector' ? v.samples : v.type === 'scalar' ? [{ labels: EMPTY, name: undefined, value: v.value, hist: null, series: null }] : [];
      for (const s of samples) {
        const key = labelKey(s.labels, s.name);
        let series = out.get(key);
        if (series === undefined) {
          series = { labels: s.labels, times: [], values: [] };
          if (s.name !== undefined) series.name = s.name;
          out.set(key, series);
        }
        series.times.push(t);
        series.values.push(s.value);
        if (s.hist !== null) (series.histograms ??= []).push(s.hist.toJSON());
        if (++points > MAX_POINTS) throw new QueryError(QueryErrorCode.LIMIT, `the result has more than ${MAX_POINTS} points`, -1, text);
      }
    }
    return { type: 'matrix', start, end, step, series: [...out.values()], warnings: [...ctx.warnings] };
  }

  private _context(text: string, options: QueryOptions): EvalContext {
    const timeout = options.timeoutMillis ?? 10_000;
    return {
      store: this._store,
      expression: text,
      lookback: this._store.options.lookbackMillis,
      warnings: new Set(),
      extensions: this.extensions,
      deadline: Date.now() + timeout,
    };
  }
}

const EMPTY: Labels = Object.freeze({});

function timeOf(t: number | Date | undefined, now: number): number {
  if (t === undefined) return now;
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new QueryError(QueryErrorCode.INVALID, `time must be ms since the epoch or a Date, got ${String(t)}`, -1, '');
  return ms;
}

function publicSample(s: Sample): InstantSample {
  if (s.hist !== null) {
    return s.name === undefined
      ? { labels: s.labels, value: s.value, histogram: s.hist.toJSON() }
      : { labels: s.labels, name: s.name, value: s.value, histogram: s.hist.toJSON() };
  }
  return s.name === undefined ? { labels: s.labels, value: s.value } : { labels: s.labels, name: s.name, value: s.value };
}
