// Reading the Prometheus text exposition (format 0.0.4) that the service
// serves, to know exactly what it recorded, and Prometheus' own
// histogram_quantile arithmetic to predict what the server will answer.
// Validity is judged by the third-party parsers (promtool, Prometheus,
// prometheus_client), not by this reader; it only refuses what it cannot read.

export type Labels = Record<string, string>;

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string | undefined;
  unit: string | undefined;
  samples: Sample[];
}

const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

function unescapeText(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(text)}`);
  return n;
}

function parseLabels(text: string, line: string): Labels {
  const labels: Labels = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new Error(`cannot read the labels of: ${line}`);
    if (m[1] in labels) throw new Error(`label ${m[1]} twice in: ${line}`);
    labels[m[1]] = unescapeText(m[2]);
    at = re.lastIndex;
  }
  return labels;
}

/** Families in exposition order, keyed by family name. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let family = families.get(name);
    if (family === undefined) families.set(name, (family = { name, type: 'untyped', help: undefined, unit: undefined, samples: [] }));
    return family;
  };
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^#\s+(HELP|TYPE|UNIT)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (meta !== null) {
      current = familyOf(meta[2]);
      const rest = meta[3] ?? '';
      if (meta[1] === 'HELP') current.help = unescapeText(rest);
      else if (meta[1] === 'TYPE') current.type = rest.trim();
      else current.unit = rest.trim();
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*$/.exec(line);
    if (m === null) throw new Error(`cannot read sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    const sample: Sample = { name, labels: parseLabels(labelText ?? '', line), value: parseValue(valueText) };
    const belongs = current !== undefined && (name === current.name || (SUFFIXES[current.type] ?? []).some(suffix => name === current!.name + suffix));
    (belongs ? current! : familyOf(name)).samples.push(sample);
  }
  return families;
}

/** Labels as a canonical string (sorted), for grouping and comparing series. */
export function labelKey(labels: Labels, without: string[] = []): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => !without.includes(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** Samples that occur twice with the same name and labels (invalid for every consumer). */
export function duplicateSeries(families: Map<string, Family>): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const family of families.values()) {
    for (const s of family.samples) {
      const key = `${s.name}${labelKey(s.labels)}`;
      if (seen.has(key)) dups.push(key);
      seen.add(key);
    }
  }
  return dups;
}

/**
 * The family named `base`, or `base` plus a unit suffix (`_seconds`, `_bytes`):
 * exporter lines differ on whether units are appended. Its type must be `type`.
 */
export function findFamily(families: Map<string, Family>, base: string, type: string): Family {
  const candidates = [...families.values()].filter(f => f.type === type && (f.name === base || f.name.startsWith(`${base}_`)));
  if (candidates.length !== 1) {
    throw new Error(`expected one ${type} family named ${base}[_unit], found ${candidates.map(f => f.name).join(', ') || 'none'}`);
  }
  return candidates[0];
}

export interface HistogramSeries {
  labels: Labels;
  /** Cumulative counts by upper bound, ascending, +Inf last. */
  buckets: [number, number][];
  sum: number;
  count: number;
}

/** The series of a histogram family, keyed by labelKey (without `le`). */
export function histogramSeries(family: Family): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  const seriesOf = (labels: Labels) => {
    const key = labelKey(labels, ['le']);
    let s = out.get(key);
    if (s === undefined) {
      const { le: _, ...rest } = labels;
      out.set(key, (s = { labels: rest, buckets: [], sum: Number.NaN, count: Number.NaN }));
    }
    return s;
  };
  for (const sample of family.samples) {
    const s = seriesOf(sample.labels);
    if (sample.name === `${family.name}_bucket`) s.buckets.push([parseValue(sample.labels.le), sample.value]);
    else if (sample.name === `${family.name}_sum`) s.sum = sample.value;
    else if (sample.name === `${family.name}_count`) s.count = sample.value;
  }
  for (const s of out.values()) s.buckets.sort((a, b) => a[0] - b[0]);
  return out;
}

/** Buckets of several series added up by upper bound: PromQL's `sum by (le) (..._bucket)`. */
export function sumByLe(series: Iterable<HistogramSeries>): [number, number][] {
  const byLe = new Map<number, number>();
  for (const s of series) for (const [le, n] of s.buckets) byLe.set(le, (byLe.get(le) ?? 0) + n);
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]);
}

/**
 * PromQL's histogram_quantile over classic buckets, as Prometheus 2.42 computes
 * it (promql/quantile.go, bucketQuantile): linear interpolation inside the bucket
 * holding the rank, the lower bound of the first bucket taken as 0, and the
 * highest finite bound when the rank falls into +Inf.
 */
export function histogramQuantile(q: number, cumulative: [number, number][]): number {
  const buckets = [...cumulative].sort((a, b) => a[0] - b[0]);
  if (buckets.length < 2 || buckets[buckets.length - 1][0] !== Number.POSITIVE_INFINITY) return Number.NaN;
  // ensureMonotonic
  for (let i = 1; i < buckets.length; i++) if (buckets[i][1] < buckets[i - 1][1]) buckets[i] = [buckets[i][0], buckets[i - 1][1]];
  const observations = buckets[buckets.length - 1][1];
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = buckets.findIndex(([, count], i) => i < buckets.length - 1 && count >= rank);
  if (b === -1) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2][0];
  if (b === 0 && buckets[0][0] <= 0) return buckets[0][0];
  const bucketEnd = buckets[b][0];
  let bucketStart = 0;
  let count = buckets[b][1];
  if (b > 0) {
    bucketStart = buckets[b - 1][0];
    count -= buckets[b - 1][1];
    rank -= buckets[b - 1][1];
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}
