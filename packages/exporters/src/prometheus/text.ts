// The classic text format (0.0.4), byte for byte what the installed line's
// PrometheusSerializer prints for the same collection:
//   line 2 (exporter-prometheus 0.22x): one HELP/TYPE block per metric, in collection order;
//   line 3 (0.30x): metrics grouped into families by name (families.ts), target_info first.
// Both: `# UNIT` lines, `_total` on monotonic sums, scope labels then resource labels after
// the point's own, `le` last on buckets (in place if a resource label is called `le`),
// exponential histograms dropped with the same diag.error (headers only, as there).
//
// Label pairs of a series are rendered and UTF-8 encoded once, cached on its
// SeriesEntry; a point is then a few byte copies and a number into the output
// chunks (ByteWriter). Written in slices (Slicer).
import { diag } from '@opentelemetry/api';
import { DataPointType, type InstrumentationScope, type Resource } from '@fastmeter/sdk';
import type { HistogramColumns } from '@fastmeter/sdk/internal';
import { type ColumnCollection, type ColumnMetric, millisToHrTime } from '../common/columns.js';
import type { Slicer } from '../common/slicer.js';
import { ByteWriter, utf8 } from '../common/byte-writer.js';
import type { SeriesEntry } from '../common/series.js';
import { ConflictLog, type Metadata, TARGET_INFO, collectFamilies } from './families.js';
import { escapeString, hrTimeToMilliseconds, labelPairs, metricName, prometheusType } from './names.js';

export interface PrometheusFormatOptions {
  /** Prepended to every metric name (`prefix_`), or ''. */
  readonly prefix: string;
  readonly appendTimestamp: boolean;
  readonly withResourceConstantLabels: RegExp | undefined;
  readonly withoutScopeInfo: boolean;
  readonly withoutTargetInfo: boolean;
  /** Whose output to reproduce: 2 = exporter-prometheus 0.22x, 3 = 0.30x. */
  readonly line: 2 | 3;
}

const NO_REGISTERED_METRICS = '# no registered metrics';

export class ClassicTextWriter {
  private readonly _conflicts = new ConflictLog();
  private readonly _prefix: string;

  constructor(private readonly _options: PrometheusFormatOptions) {
    this._prefix = _options.prefix ? `${_options.prefix}_` : '';
  }

  async write(collection: ColumnCollection, slicer: Slicer): Promise<Uint8Array[]> {
    const sink = new ByteWriter();
    const resourceLabels = resourceConstantLabels(collection.resource, this._options.withResourceConstantLabels);
    let wroteMetric = false;
    if (this._options.line === 2) {
      if (!this._options.withoutTargetInfo) sink.utf8(targetInfo(collection.resource, { help: 'Target metadata', unit: '', type: 'gauge' }, true));
      for (const { scope, metrics } of collection.scopes) {
        for (const metric of metrics) {
          const name = metricName(metric.descriptor.name, this._prefix, metric.dataPointType, metric.isMonotonic);
          if (name === undefined) continue;
          const metadata: Metadata = {
            help: metric.descriptor.description,
            unit: metric.descriptor.unit,
            type: prometheusType(metric.dataPointType, metric.isMonotonic),
          };
          await this._metric(sink, name, metadata, true, metric, scope, resourceLabels, slicer);
          wroteMetric = true; // 0.22x always writes the header
        }
      }
    } else {
      const families = collectFamilies(collection, this._prefix, !this._options.withoutTargetInfo, this._conflicts);
      for (const [name, family] of families) {
        const metadata = family.metadata;
        if (metadata === undefined) continue;
        let writeMetadata = true;
        if (name === TARGET_INFO && !this._options.withoutTargetInfo) {
          sink.utf8(targetInfo(collection.resource, metadata, true));
          writeMetadata = false;
        }
        for (const { metric, scope } of family.metrics) {
          if (await this._metric(sink, name, metadata, writeMetadata, metric, scope, resourceLabels, slicer)) {
            writeMetadata = false;
            wroteMetric = true;
          }
        }
      }
    }
    if (!wroteMetric) sink.ascii(NO_REGISTERED_METRICS);
    return sink.parts();
  }

  /** Writes one metric (header when asked, then its points); false when it wrote nothing. */
  private async _metric(
    sink: ByteWriter,
    name: string,
    metadata: Metadata,
    writeMetadata: boolean,
    metric: ColumnMetric,
    scope: InstrumentationScope,
    resourceLabels: Record<string, unknown> | undefined,
    slicer: Slicer,
  ): Promise<boolean> {
    const known =
      metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE || metric.dataPointType === DataPointType.HISTOGRAM;
    if (!known) diag.error(`Unrecognizable DataPointType: ${metric.dataPointType} for metric "${name}"`);
    if (writeMetadata) {
      const unit = metadata.unit ? `# UNIT ${name} ${escapeString(metadata.unit)}\n` : '';
      sink.utf8(`# HELP ${name} ${escapeString(metadata.help || 'description missing')}\n${unit}# TYPE ${name} ${metadata.type}\n`);
    }
    if (!known) return writeMetadata;
    const additional = scopeLabels(scope, resourceLabels, this._options.withoutScopeInfo);
    const times = timestamps(metric, this._options.appendTimestamp);
    if (metric.dataPointType === DataPointType.HISTOGRAM) await writeHistograms(sink, name, metric, additional, times, slicer);
    else await writeNumbers(sink, name, metric, labelPairs(additional), times, slicer);
    return writeMetadata || metric.count > 0;
  }
}

/** The resource attributes matching `withResourceConstantLabels`, or undefined without the option. */
export function resourceConstantLabels(resource: Resource, pattern: RegExp | undefined): Record<string, unknown> | undefined {
  if (!pattern) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource.attributes)) if (key.match(pattern)) out[key] = value;
  return out;
}

/** The labels added to every point of a metric: scope name, schema URL, version, then the resource labels. */
export function scopeLabels(
  scope: InstrumentationScope,
  resourceLabels: Record<string, unknown> | undefined,
  withoutScopeInfo: boolean,
): Record<string, unknown> | undefined {
  if (withoutScopeInfo) return resourceLabels;
  const info: Record<string, unknown> = { 'otel.scope.name': scope.name };
  if (scope.schemaUrl) info['otel.scope.schema_url'] = scope.schemaUrl;
  if (scope.version) info['otel.scope.version'] = scope.version;
  return Object.assign(info, resourceLabels);
}

function targetInfo(resource: Resource, metadata: Metadata, writeMetadata: boolean): string {
  const labels = labelPairs(resource.attributes);
  const sample = labels === '' ? `${TARGET_INFO} 1` : `${TARGET_INFO}{${labels}} 1`;
  if (!writeMetadata) return `${sample}\n`;
  const unit = metadata.unit ? `# UNIT ${TARGET_INFO} ${escapeString(metadata.unit)}\n` : '';
  return `# HELP ${TARGET_INFO} ${escapeString(metadata.help)}\n${unit}# TYPE ${TARGET_INFO} ${metadata.type}\n${sample}\n`;
}

/** ' <ms>' per point when timestamps are appended: one value for the whole metric on the fast path. */
type Timestamps = string | ((i: number) => string);

function timestamps(metric: ColumnMetric, append: boolean): Timestamps {
  if (!append) return '';
  const times = metric.times;
  if (times.kind === 'ms') return ` ${hrTimeToMilliseconds(millisToHrTime(times.end))}`;
  return i => ` ${hrTimeToMilliseconds(times.end[i])}`;
}

/** The label bytes of a series (its own attributes), rendered once. */
export function promLabels(entry: SeriesEntry): Uint8Array {
  return entry.prom ?? (entry.prom = utf8(labelPairs(entry.attributes())));
}

/**
 * How a sample line starts and where its value goes, per metric:
 *   no labels at all       `name value`       → bare
 *   only the added labels  `name{added} value` → opened
 *   own labels             `name{own[,added]} value` → open + own + close
 */
class LineShape {
  readonly bare: Uint8Array;
  readonly opened: Uint8Array;
  readonly open: Uint8Array;
  readonly close: Uint8Array;
  readonly hasAdded: boolean;

  constructor(name: string, added: string) {
    this.hasAdded = added !== '';
    this.bare = utf8(`${name} `);
    this.opened = utf8(`${name}{${added}} `);
    this.open = utf8(`${name}{`);
    this.close = utf8(added === '' ? '} ' : `,${added}} `);
  }

  write(out: ByteWriter, own: Uint8Array): void {
    if (own.length === 0) out.raw(this.hasAdded ? this.opened : this.bare);
    else {
      out.raw(this.open);
      out.raw(own);
      out.raw(this.close);
    }
  }
}

/** `value[ timestamp]\n`. */
function writeValue(out: ByteWriter, value: number, ts: string): void {
  if (value === Number.POSITIVE_INFINITY) out.ascii('+Inf');
  else if (value === Number.NEGATIVE_INFINITY) out.ascii('-Inf');
  else out.number(value);
  if (ts !== '') out.ascii(ts);
  out.reserve(1);
  out.ascii('\n');
}

async function writeNumbers(out: ByteWriter, name: string, metric: ColumnMetric, added: string, times: Timestamps, slicer: Slicer): Promise<void> {
  const values = (metric.values as { values: Float64Array }).values;
  const entries = metric.entries;
  const line = new LineShape(name, added);
  for (let i = 0; i < metric.count; i++) {
    if ((i & 63) === 63 && slicer.due()) await slicer.pause();
    line.write(out, promLabels(entries[i]));
    writeValue(out, values[i], typeof times === 'string' ? times : times(i));
  }
}

async function writeHistograms(
  out: ByteWriter,
  name: string,
  metric: ColumnMetric,
  additional: Record<string, unknown> | undefined,
  times: Timestamps,
  slicer: Slicer,
): Promise<void> {
  const h = metric.values as HistogramColumns;
  const added = labelPairs(additional);
  // Bucket labels: the added labels with `le` assigned last (Object.assign keeps an existing `le` in place).
  // With Infinity among the bounds, the bucket above it is not written.
  const le: Uint8Array[] = [];
  const commaLe: Uint8Array[] = [];
  let infinite = false;
  for (let b = 0; b < h.stride; b++) {
    const bound = h.boundaries[b];
    if (bound === undefined && infinite) break;
    if (bound === Number.POSITIVE_INFINITY) infinite = true;
    const pairs = labelPairs(Object.assign({}, additional, { le: bound === undefined || bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound) }));
    le.push(utf8(`${pairs}} `));
    commaLe.push(utf8(`,${pairs}} `));
  }
  const entries = metric.entries;
  const count = new LineShape(`${name}_count`, added);
  const sum = new LineShape(`${name}_sum`, added);
  const bucketOpen = utf8(`${name}_bucket{`);
  for (let i = 0; i < metric.count; i++) {
    if ((i & 7) === 7 && slicer.due()) await slicer.pause();
    const own = promLabels(entries[i]);
    const ts = typeof times === 'string' ? times : times(i);
    count.write(out, own);
    writeValue(out, h.count[i], ts);
    if (h.sum !== null) {
      sum.write(out, own);
      writeValue(out, h.sum[i], ts);
    }
    const base = i * h.stride;
    const labels = own.length === 0 ? le : commaLe;
    let cumulative = 0;
    for (let b = 0; b < le.length; b++) {
      cumulative += h.counts[base + b];
      out.raw(bucketOpen);
      if (own.length > 0) out.raw(own);
      out.raw(labels[b]);
      writeValue(out, cumulative, ts);
    }
  }
}
