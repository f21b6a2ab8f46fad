// OpenMetrics 1.0 text, for scrapers that ask for it (Prometheus does by
// default). Sample names, label values and values are those of the classic
// text, so a series is the same series whichever format Prometheus negotiated;
// what OpenMetrics requires on top (checked by a strict parser in the tests):
//   - one family per name (grouped as 0.30x does, whatever the line), `# EOF` at the end;
//   - counter families are named without `_total`, their samples keep it;
//   - `target_info` is an info family `target`;
//   - `# UNIT` only where the name ends with `_<unit>` (OpenMetrics requires the suffix);
//   - label names valid (a leading digit gets `_`) and unique: attributes that sanitise to
//     the same name are joined with `;`, ordered by original key (OpenTelemetry's
//     Prometheus compatibility rules); a histogram point's own `le` attribute is dropped;
//   - histograms whose bounds include a negative number, or without a sum, have no
//     `_count`/`_sum` (OpenMetrics allows `_sum` only with non-negative buckets, and
//     `_count` only with `_sum`);
//   - histograms whose bounds are not increasing numbers (advice accepts anything), and
//     families whose names clash with an earlier family's samples (a gauge `x_total`
//     beside a counter `x`) and exponential histograms are left out, with a diag.warn once;
//   - timestamps in seconds.
import { diag } from '@opentelemetry/api';
import { DataPointType, type InstrumentationScope } from '@fastmeter/sdk';
import type { HistogramColumns } from '@fastmeter/sdk/internal';
import { type ColumnCollection, type ColumnMetric, millisToHrTime } from '../common/columns.js';
import type { OmLabels } from '../common/series.js';
import type { Slicer } from '../common/slicer.js';
import { ByteWriter, utf8 } from '../common/byte-writer.js';
import { ConflictLog, type Metadata, collectFamilies } from './families.js';
import { escapeAttributeValue, hrTimeToMilliseconds, sanitizeName } from './names.js';
import { type PrometheusFormatOptions, resourceConstantLabels, scopeLabels } from './text.js';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total', '_created'],
  histogram: ['_count', '_sum', '_bucket', '_created'],
  gauge: [],
  info: ['_info'],
};

export class OpenMetricsWriter {
  private readonly _conflicts = new ConflictLog();
  private readonly _prefix: string;
  private readonly _warned = new Set<string>();

  constructor(private readonly _options: PrometheusFormatOptions) {
    this._prefix = _options.prefix ? `${_options.prefix}_` : '';
  }

  async write(collection: ColumnCollection, slicer: Slicer): Promise<Uint8Array[]> {
    const out = new ByteWriter();
    const seen = new Set<string>();
    const resourceLabels = resourceConstantLabels(collection.resource, this._options.withResourceConstantLabels);
    if (!this._options.withoutTargetInfo) {
      reserve(seen, 'target', 'info');
      const labels = omLabels(collection.resource.attributes).text;
      out.utf8(`# HELP target Target metadata\n# TYPE target info\n${labels === '' ? 'target_info' : `target_info{${labels}}`} 1\n`);
    }
    // Families as 0.30x groups them; target_info is not one of them here (it is the info family above).
    const families = collectFamilies(collection, this._prefix, false, this._conflicts);
    for (const [name, family] of families) {
      const metadata = family.metadata;
      if (metadata === undefined) continue;
      if (metadata.type === 'untyped') {
        this._warnOnce(`untyped:${name}`, `OpenMetrics: "${name}" (an exponential histogram) has no Prometheus text representation; it is not exported`);
        continue;
      }
      const familyName = metadata.type === 'counter' && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
      if (familyName === '' || clashes(seen, familyName, metadata.type)) {
        this._warnOnce(`clash:${name}`, `OpenMetrics: the family "${familyName}" clashes with an earlier family's samples; it is not exported`);
        continue;
      }
      reserve(seen, familyName, metadata.type);
      out.utf8(header(familyName, metadata));
      // OpenMetrics allows a series once. Distinct attribute sets can print the same labels
      // ({status: 200} and {status: '200'}, keys that sanitise alike), and several streams of
      // one name (duplicate registrations) the same series: later duplicates are left out.
      const series = new Set<string>();
      const single = family.metrics.length === 1;
      for (const { metric, scope } of family.metrics) await this._samples(out, name, metric, scope, resourceLabels, series, single, slicer);
    }
    out.ascii('# EOF\n');
    return out.parts();
  }

  private async _samples(
    out: ByteWriter,
    name: string,
    metric: ColumnMetric,
    scope: InstrumentationScope,
    resourceLabels: Record<string, unknown> | undefined,
    series: Set<string>,
    single: boolean,
    slicer: Slicer,
  ): Promise<void> {
    const histogram = metric.dataPointType === DataPointType.HISTOGRAM;
    if (histogram && !increasing((metric.values as HistogramColumns).boundaries)) {
      this._warnOnce(`bounds:${name}`, `OpenMetrics: "${name}" has bucket bounds that are not increasing numbers; its points are not exported`);
      return;
    }
    const addedAttributes = scopeLabels(scope, resourceLabels, this._options.withoutScopeInfo);
    const added = omLabels(addedAttributes, histogram);
    const times = this._options.appendTimestamp ? omTimestamps(metric) : () => '';
    const shape = histogram ? new HistogramShape(name, metric.values as HistogramColumns) : new SampleShape(name);
    const values = histogram ? null : (metric.values as { values: Float64Array }).values;
    const entries = metric.entries;
    for (let i = 0; i < metric.count; i++) {
      if ((i & 31) === 31 && slicer.due()) await slicer.pause();
      const entry = entries[i];
      const own = entry.om ?? (entry.om = omLabels(entry.attributes()));
      let merged: OmLabels | undefined;
      let key: string;
      if (collides(own, added, histogram)) {
        // Rare: an attribute named like a scope or resource label (or `le` on a histogram).
        merged = omLabelsOf([...Object.entries(entry.attributes()), ...Object.entries(addedAttributes ?? {})], histogram);
        key = `\u0002${merged.key}`;
      } else {
        key = single ? own.key : `${own.key}\u0001${added.key}`;
      }
      if (series.has(key)) {
        this._warnOnce(
          `duplicate:${name}`,
          `OpenMetrics: several points of "${name}" have the same labels (e.g. {status: 200} and {status: "200"}); the first is exported`,
        );
        continue;
      }
      series.add(key);
      const labels: Labels = merged === undefined ? [own.bytes, added.bytes] : [merged.bytes, EMPTY_BYTES];
      if (shape instanceof HistogramShape) shape.write(out, i, labels, times(i));
      else shape.write(out, labels, (values as Float64Array)[i], times(i));
    }
  }

  private _warnOnce(key: string, message: string): void {
    if (this._warned.has(key)) return;
    this._warned.add(key);
    diag.warn(message);
  }
}

/** OpenMetrics buckets need strictly increasing numeric bounds (advice may hold anything). */
function increasing(bounds: readonly unknown[]): boolean {
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i];
    if (typeof b !== 'number' || Number.isNaN(b) || (i > 0 && !(b > (bounds[i - 1] as number)))) return false;
  }
  return true;
}

function header(name: string, metadata: Metadata): string {
  // OpenMetrics escapes backslash, newline and double quote in HELP.
  const help = (metadata.help || 'description missing').replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  const unit = metadata.unit && /^[a-zA-Z0-9_:]+$/.test(metadata.unit) && name.endsWith(`_${metadata.unit}`) ? `# UNIT ${name} ${metadata.unit}\n` : '';
  return `# HELP ${name} ${help}\n# TYPE ${name} ${metadata.type}\n${unit}`;
}

function reserve(seen: Set<string>, name: string, type: string): void {
  seen.add(name);
  for (const suffix of SUFFIXES[type] ?? []) seen.add(name + suffix);
}

function clashes(seen: Set<string>, name: string, type: string): boolean {
  if (seen.has(name)) return true;
  for (const suffix of SUFFIXES[type] ?? []) if (seen.has(name + suffix)) return true;
  return false;
}

/** A point's labels as two byte runs (own, added), either possibly empty. */
type Labels = [Uint8Array, Uint8Array];

const EMPTY_BYTES = new Uint8Array(0);
const COMMA = utf8(',');
const CLOSE = utf8('} ');

/** `{own,added}` (nothing when both are empty), then `close` when there was a brace. */
function writeLabels(out: ByteWriter, [own, added]: Labels, open: Uint8Array, bare: Uint8Array, close: Uint8Array): void {
  if (own.length === 0 && added.length === 0) {
    out.raw(bare);
    return;
  }
  out.raw(open);
  out.raw(own);
  if (own.length > 0 && added.length > 0) out.raw(COMMA);
  out.raw(added);
  out.raw(close);
}

function writeValue(out: ByteWriter, value: number, timestamp: string): void {
  if (value === Number.POSITIVE_INFINITY) out.ascii('+Inf');
  else if (value === Number.NEGATIVE_INFINITY) out.ascii('-Inf');
  else out.number(value);
  out.ascii(timestamp === '' ? '\n' : `${timestamp}\n`);
}

/** `name{labels} value`. */
class SampleShape {
  private readonly _open: Uint8Array;
  private readonly _bare: Uint8Array;

  constructor(name: string) {
    this._open = utf8(`${name}{`);
    this._bare = utf8(`${name} `);
  }

  write(out: ByteWriter, labels: Labels, value: number, timestamp: string): void {
    writeLabels(out, labels, this._open, this._bare, CLOSE);
    writeValue(out, value, timestamp);
  }
}

/** Buckets (+Inf last), then `_count` and `_sum` where OpenMetrics allows them (see the header). */
class HistogramShape {
  private readonly _bucketOpen: Uint8Array;
  /** `le="…"} ` per bucket written, with the index of its last count. */
  private readonly _le: Uint8Array[] = [];
  private readonly _upTo: number[] = [];
  private readonly _countSum: boolean;
  private readonly _count: SampleShape;
  private readonly _sum: SampleShape;

  constructor(
    name: string,
    private readonly _h: HistogramColumns,
  ) {
    this._bucketOpen = utf8(`${name}_bucket{`);
    let negative = false;
    for (let b = 0; b < _h.stride; b++) {
      const bound = _h.boundaries[b] as number | undefined;
      if (bound === Number.POSITIVE_INFINITY) continue; // the +Inf bucket covers it
      if (bound !== undefined && bound < 0) negative = true;
      this._le.push(utf8(`le="${bound === undefined ? '+Inf' : String(bound)}"} `));
      this._upTo.push(b);
    }
    this._countSum = !negative && _h.sum !== null;
    this._count = new SampleShape(`${name}_count`);
    this._sum = new SampleShape(`${name}_sum`);
  }

  write(out: ByteWriter, i: number, labels: Labels, timestamp: string): void {
    const h = this._h;
    const base = i * h.stride;
    const [own, added] = labels;
    let cumulative = 0;
    let from = 0;
    for (let k = 0; k < this._le.length; k++) {
      for (; from <= this._upTo[k]; from++) cumulative += h.counts[base + from];
      out.raw(this._bucketOpen);
      out.raw(own);
      if (own.length > 0) out.raw(COMMA);
      if (added.length > 0) {
        out.raw(added);
        out.raw(COMMA);
      }
      out.raw(this._le[k]);
      writeValue(out, cumulative, timestamp);
    }
    const sum = h.sum === null ? Number.NaN : h.sum[i];
    if (this._countSum && sum >= 0) {
      this._count.write(out, labels, h.count[i], timestamp);
      this._sum.write(out, labels, sum, timestamp);
    }
  }
}

function omTimestamps(metric: ColumnMetric): (i: number) => string {
  const format = (ms: number) => ` ${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
  const times = metric.times;
  if (times.kind === 'ms') {
    const ts = format(hrTimeToMilliseconds(millisToHrTime(times.end)));
    return () => ts;
  }
  return i => format(hrTimeToMilliseconds(times.end[i]));
}

/**
 * OpenMetrics labels of an attributes object: sanitised names (`_` before a
 * leading digit), duplicates after sanitising joined with `;` by original key.
 */
export function omLabels(attributes: object | undefined, dropLe = false): OmLabels {
  return attributes === undefined ? NO_LABELS : omLabelsOf(Object.entries(attributes), dropLe);
}

function omLabelsOf(entries: Iterable<[string, unknown]>, dropLe: boolean): OmLabels {
  const byName = new Map<string, [string, string][]>();
  for (const [key, value] of entries) {
    let name = sanitizeName(key);
    if (name === '' || (name[0] >= '0' && name[0] <= '9')) name = `_${name}`;
    if (dropLe && name === 'le') continue;
    const str = typeof value === 'string' ? value : JSON.stringify(value ?? '');
    const list = byName.get(name);
    if (list === undefined) byName.set(name, [[key, str]]);
    else list.push([key, str]);
  }
  const pairs: string[] = [];
  for (const [name, list] of byName) {
    if (list.length > 1) list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    pairs.push(`${name}="${escapeAttributeValue(list.map(e => e[1]).join(';'))}"`);
  }
  const text = pairs.join(',');
  return { text, bytes: utf8(text), names: Array.from(byName.keys()), key: [...pairs].sort().join(',') };
}

const NO_LABELS: OmLabels = { text: '', bytes: new Uint8Array(0), names: [], key: '' };

/** True when a point's own label names meet the added ones (or `le`, on a histogram). */
function collides(own: OmLabels, added: OmLabels, histogram: boolean): boolean {
  if (histogram && own.names.includes('le')) return true;
  for (let i = 0; i < own.names.length; i++) if (added.names.includes(own.names[i])) return true;
  return false;
}
