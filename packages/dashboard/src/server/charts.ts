// One chart's data for a frame: its queries answered over the chart's window at
// a step of one pixel column, each series downsampled to the pixel width.
import type { Labels, QuerySource } from '../query/source.js';
import { type View, type ViewQuery, viewQueries } from '../query/presets.js';
import { m4 } from './downsample.js';

export interface ChartSpec {
  /** Chosen by the page; echoed in frames. */
  id: string;
  /** A metric name with a view, or a raw query (view 'expr'). */
  metric?: string;
  view: View | 'expr';
  expr?: string;
  /** How far back the chart shows (ms). */
  windowMs: number;
  /** The plot's width in CSS pixels. */
  width: number;
}

export interface ChartSeries {
  labels: Labels;
  /** Timestamps (ms); absent when the chart has a regular `grid`. */
  t?: number[];
  /** Values; on a grid, one per grid step (null where the series has no point). */
  v: (number | null)[];
}

export interface ChartData {
  id: string;
  /**
   * The common time axis of every series (start, step, count), when all of them
   * lie on the query's step grid: then series carry values only, which halves a
   * frame. Downsampled series carry their own `t` instead.
   */
  grid?: { start: number; step: number; n: number };
  series: ChartSeries[];
  /** The query error, if the chart's queries failed. */
  error?: string;
  /** Series left out past the per-chart limit. */
  omitted: number;
}

export const LIMITS = { minWindowMs: 5_000, maxWindowMs: 24 * 3_600_000, minWidth: 10, maxWidth: 4096, maxCharts: 200, maxSeriesPerChart: 24 } as const;

/** A chart spec from the page, checked field by field; undefined when unusable. */
export function parseChartSpec(raw: unknown): ChartSpec | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length > 200) return undefined;
  const view = r.view;
  if (view !== 'rate' && view !== 'value' && view !== 'quantiles' && view !== 'heatmap' && view !== 'expr') return undefined;
  if (view === 'expr' ? typeof r.expr !== 'string' || r.expr.length > 2000 : typeof r.metric !== 'string' || r.metric.length > 1000) return undefined;
  const windowMs = Math.min(LIMITS.maxWindowMs, Math.max(LIMITS.minWindowMs, Number(r.windowMs) || 300_000));
  const width = Math.round(Math.min(LIMITS.maxWidth, Math.max(LIMITS.minWidth, Number(r.width) || 600)));
  return view === 'expr' ? { id: r.id, view, expr: r.expr as string, windowMs, width } : { id: r.id, view, metric: r.metric as string, windowMs, width };
}

export function chartQueries(spec: ChartSpec): ViewQuery[] {
  return spec.view === 'expr' ? [{ expr: spec.expr ?? '' }] : viewQueries(spec.view, spec.metric ?? '');
}

/** The step of a chart: one pixel column, at least the ring's resolution. */
export function chartStep(spec: ChartSpec, resolutionMs: number): number {
  return Math.max(resolutionMs, Math.ceil(spec.windowMs / spec.width));
}

/** The chart with values on the step grid when every point lies on it, else with timestamps. */
function onGrid(id: string, series: { labels: Labels; t: number[]; v: number[] }[], omitted: number, start: number, step: number, n: number): ChartData {
  for (const s of series) for (const t of s.t) if ((t - start) % step !== 0 || t < start || t >= start + n * step) return { id, series, omitted };
  return {
    id,
    grid: { start, step, n },
    omitted,
    series: series.map(s => {
      const v: (number | null)[] = new Array(n).fill(null);
      for (let i = 0; i < s.t.length; i++) v[(s.t[i] - start) / step] = Number.isNaN(s.v[i]) ? null : s.v[i];
      return { labels: s.labels, v };
    }),
  };
}

function lastValue(s: { v: number[] }): number {
  for (let i = s.v.length - 1; i >= 0; i--) if (!Number.isNaN(s.v[i])) return s.v[i];
  return Number.NEGATIVE_INFINITY;
}

export async function computeChart(source: QuerySource, spec: ChartSpec, now: number, resolutionMs: number): Promise<ChartData> {
  const step = chartStep(spec, resolutionMs);
  // The grid ends at the last whole step and runs back over the window:
  // end, end - step, ... (the steps a range query evaluates).
  const end = Math.floor(now / step) * step;
  const n = Math.floor(spec.windowMs / step) + 1;
  const start = end - (n - 1) * step;
  try {
    if (spec.view === 'heatmap') {
      if (source.buckets === undefined) throw new Error('this source has no bucket data (no heatmap)');
      const rows = await source.buckets(spec.metric ?? '', start, end, step);
      const series = rows.map(r => ({ labels: { le: r.le }, t: r.timestamps, v: r.values }));
      return onGrid(spec.id, series, 0, start, step, n);
    }
    const answers = await Promise.all(chartQueries(spec).map(q => source.range(q.expr, start, end, step).then(series => ({ q, series }))));
    let series: { labels: Labels; t: number[]; v: number[] }[] = [];
    for (const { q, series: ss } of answers) {
      for (const s of ss) {
        const { t, v } = m4(s.timestamps, s.values, spec.width, start, end);
        series.push({ labels: q.labels ? { ...s.labels, ...q.labels } : s.labels, t, v });
      }
    }
    let omitted = 0;
    if (series.length > LIMITS.maxSeriesPerChart) {
      series.sort((a, b) => lastValue(b) - lastValue(a));
      omitted = series.length - LIMITS.maxSeriesPerChart;
      series = series.slice(0, LIMITS.maxSeriesPerChart);
    }
    return onGrid(spec.id, series, omitted, start, step, n);
  } catch (err) {
    return { id: spec.id, series: [], omitted: 0, error: (err as Error)?.message ?? String(err) };
  }
}
