// How the page shows each kind of metric, as query strings of the ring's
// PromQL-like language (the only place that spells them):
//   counter           per-second rate over the last minute, per series
//   up-down counter,
//   gauge             the value
//   histogram         p50, p90 and p99 over the last minute (histogram_quantile),
//                     and a heatmap of the per-bucket rates (QuerySource.buckets)
import type { Labels } from './source.js';

export type View = 'rate' | 'value' | 'quantiles' | 'heatmap';

export interface ViewQuery {
  expr: string;
  /** Added to the labels of every series of the answer (e.g. quantile="0.99"). */
  labels?: Labels;
}

export const QUANTILES = [0.5, 0.9, 0.99] as const;
/** The window of rates and quantiles. */
export const RATE_WINDOW = '1m';

/** A metric name as a selector: bare when it is a plain identifier, else `{__name__="..."}`. */
export function selector(name: string): string {
  return /^[A-Za-z_:][\w:.]*$/.test(name) ? name : `{__name__=${JSON.stringify(name)}}`;
}

export function defaultView(kind: string): View {
  if (kind === 'counter') return 'rate';
  if (kind === 'histogram' || kind === 'exponential_histogram') return 'quantiles';
  return 'value';
}

export function viewsFor(kind: string): View[] {
  if (kind === 'counter') return ['rate', 'value'];
  if (kind === 'histogram' || kind === 'exponential_histogram') return ['quantiles', 'heatmap'];
  return ['value'];
}

export function viewQueries(view: View, metric: string): ViewQuery[] {
  const s = selector(metric);
  switch (view) {
    case 'rate':
      return [{ expr: `rate(${s}[${RATE_WINDOW}])` }];
    case 'value':
      return [{ expr: s }];
    case 'quantiles':
      return QUANTILES.map(q => ({ expr: `histogram_quantile(${q}, sum(rate(${s}[${RATE_WINDOW}])))`, labels: { quantile: `p${Math.round(q * 100)}` } }));
    case 'heatmap':
      return []; // per-bucket rates come from QuerySource.buckets (heatmap.ts)
  }
}
