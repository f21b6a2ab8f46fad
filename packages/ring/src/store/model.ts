// What the ring holds, above the point storage: metric families (one per
// instrumentation scope and metric name) and their series (one per resource
// and attribute set), each with the labels queries match on.
import type { Attributes } from '@opentelemetry/api';
import type { AttributeTrie } from '@fastmeter/sdk/internal';
import type { HistogramRing } from './histogram-ring.js';

export type MetricKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram' | 'exponential_histogram';

/** Label name → value, as queries see a series: resource dimensions and point attributes, all strings. */
export type Labels = Readonly<Record<string, string>>;

export interface ScopeInfo {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

/** One resource the ring has seen (the local provider's, or one per remote process). */
export class ResourceEntry {
  /** Series of this resource still held. */
  series = 0;
  constructor(
    readonly id: number,
    readonly key: string,
    /** The resource attributes that became series dimensions. */
    readonly dims: Labels,
    /** The latest resource object seen with these attributes (forwarded as is). */
    public resource: unknown,
  ) {}
}

export function isScalar(kind: MetricKind): boolean {
  return kind === 'counter' || kind === 'updowncounter' || kind === 'gauge';
}

/** True for kinds whose stored value only grows between resets (rates make sense). */
export function isCumulativeKind(kind: MetricKind): boolean {
  return kind === 'counter' || kind === 'histogram' || kind === 'exponential_histogram';
}

export class Family {
  readonly series = new Set<Series>();
  /** Attribute sets → series id, per resource. */
  readonly tries = new Map<ResourceEntry, AttributeTrie>();
  /** Per resource: the series taking points past the cardinality limit. */
  readonly overflow = new Map<ResourceEntry, Series>();
  /** Names a selector may use for this family besides `name` (Prometheus exposition names). */
  readonly aliases: readonly string[];
  /** Counted for the limit (overflow series are not). */
  limited = 0;
  /** Attribute sets remembered in the tries as leading to an overflow series (bounded by the cardinality limit). */
  overflowAliases = 0;
  /**
   * Attribute objects of the reader's own collections → series (per resource, as `${resource id}`-keyed
   * WeakMaps would cost more): the sdk hands the same object for a series every collection, so the
   * lookup is one identity hit instead of a trie walk. Not used for ingest() input.
   */
  readonly identity = new WeakMap<object, Series>();

  constructor(
    readonly key: string,
    readonly name: string,
    readonly kind: MetricKind,
    public description: string,
    public unit: string,
    public valueType: number,
    readonly scope: ScopeInfo,
    readonly monotonic: boolean,
  ) {
    this.aliases = prometheusNames(name, kind);
  }
}

/**
 * The numbers every series keeps, in one Float64Array for all series (8 per
 * series id): as fields of Series each would be a boxed heap number (16 bytes
 * more apiece); here a series costs 64 bytes of them.
 */
export class SeriesColumns {
  f = new Float64Array(8 * 64);

  /** Makes room for series `id` and resets its numbers. */
  init(id: number): void {
    if ((id + 1) * 8 > this.f.length) {
      const next = new Float64Array(Math.max((id + 1) * 8, Math.ceil((this.f.length * 1.25) / 512) * 512));
      next.set(this.f);
      this.f = next;
    }
    const f = this.f;
    const o = id * 8;
    f[o + SEEN_AT] = 0;
    f[o + ACC] = 0;
    f[o + LAST_T] = -1;
    f[o + LAST_V] = Number.NaN;
    f[o + EWMA1] = 0;
    f[o + EWMA5] = 0;
    f[o + EWMA15] = 0;
    f[o + START_MS] = 0;
  }
}

/** Where each number of a series sits among its 8 in SeriesColumns. */
export const COLUMN = { SEEN_AT: 0, ACC: 1, LAST_T: 2, LAST_V: 3, EWMA1: 4, EWMA5: 5, EWMA15: 6, START_MS: 7 } as const;
const { SEEN_AT, ACC, LAST_T, LAST_V, EWMA1, EWMA5, EWMA15, START_MS } = COLUMN;
const OVERFLOW = 1;
const REMOVED = 2;
const EWMA_READY = 4;

export class Series {
  /** Lane in the scalar store (-1 for histograms). */
  lane = -1;
  hist: HistogramRing | null = null;
  /** Earlier starts still covered by held points: [relative time from which it applies, start ms] pairs. */
  starts: number[] | null = null;
  /** The startTime object last seen (the sdk reuses it: unchanged start, no conversion). */
  startRef: unknown = undefined;
  /** OVERFLOW | REMOVED | EWMA_READY: one small integer instead of three fields. */
  private _flags: number;
  private _labels: Labels | null = null;

  constructor(
    readonly id: number,
    readonly family: Family,
    readonly resource: ResourceEntry,
    /** A copy of the point attributes (exported as such when forwarding). */
    readonly attributes: Attributes,
    overflow: boolean,
    private readonly _columns: SeriesColumns,
  ) {
    this._flags = overflow ? OVERFLOW : 0;
    _columns.init(id);
  }

  /** The series taking points past the cardinality limit. */
  get overflow(): boolean {
    return (this._flags & OVERFLOW) !== 0;
  }
  /** Set when reclaimed (stale identity-cache entries check it; its numbers then belong to the id's next series). */
  get removed(): boolean {
    return (this._flags & REMOVED) !== 0;
  }
  set removed(v: boolean) {
    this._flags = v ? this._flags | REMOVED : this._flags & ~REMOVED;
  }
  /** The EWMAs hold a rate (the first rate initialises them). */
  get ewmaReady(): boolean {
    return (this._flags & EWMA_READY) !== 0;
  }
  set ewmaReady(v: boolean) {
    this._flags = v ? this._flags | EWMA_READY : this._flags & ~EWMA_READY;
  }

  /** Wall time (ms) of the last ingest that carried this series. */
  get seenAt(): number {
    return this._columns.f[this.id * 8 + SEEN_AT];
  }
  set seenAt(v: number) {
    this._columns.f[this.id * 8 + SEEN_AT] = v;
  }
  /** Running total for delta input (the stored cumulative value). */
  get acc(): number {
    return this._columns.f[this.id * 8 + ACC];
  }
  set acc(v: number) {
    this._columns.f[this.id * 8 + ACC] = v;
  }
  /** Relative time of the newest stored point of a scalar series (-1: none). */
  get lastT(): number {
    return this._columns.f[this.id * 8 + LAST_T];
  }
  set lastT(v: number) {
    this._columns.f[this.id * 8 + LAST_T] = v;
  }
  /** Value of the newest stored point of a scalar series. */
  get lastV(): number {
    return this._columns.f[this.id * 8 + LAST_V];
  }
  set lastV(v: number) {
    this._columns.f[this.id * 8 + LAST_V] = v;
  }
  /** Load-average EWMAs of a counter's rate (per second) over 1, 5 and 15 minutes. */
  get ewma1(): number {
    return this._columns.f[this.id * 8 + EWMA1];
  }
  set ewma1(v: number) {
    this._columns.f[this.id * 8 + EWMA1] = v;
  }
  get ewma5(): number {
    return this._columns.f[this.id * 8 + EWMA5];
  }
  set ewma5(v: number) {
    this._columns.f[this.id * 8 + EWMA5] = v;
  }
  get ewma15(): number {
    return this._columns.f[this.id * 8 + EWMA15];
  }
  set ewma15(v: number) {
    this._columns.f[this.id * 8 + EWMA15] = v;
  }
  /** Start of the current cumulative run (absolute ms). */
  get startMs(): number {
    return this._columns.f[this.id * 8 + START_MS];
  }
  set startMs(v: number) {
    this._columns.f[this.id * 8 + START_MS] = v;
  }

  /** Resource dimensions and attributes as strings; built on first use (queries), then kept. */
  get labels(): Labels {
    if (this._labels === null) {
      const out: Record<string, string> = { ...this.resource.dims };
      for (const key of Object.keys(this.attributes)) out[key] = labelValue(this.attributes[key]);
      this._labels = Object.freeze(out);
    }
    return this._labels;
  }

  /** The start time that applies to the point at relative time `t`. */
  startAt(t: number): number {
    const s = this.starts;
    if (s === null) return this.startMs;
    for (let i = s.length - 2; i >= 0; i -= 2) if (t >= s[i]) return s[i + 1];
    return this.startMs;
  }
}

export function labelValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/**
 * The names the standard Prometheus exporter (@opentelemetry/exporter-prometheus)
 * gives this metric, so that a PromQL query copied from Prometheus finds it:
 * characters outside [a-zA-Z0-9_:] become `_` (runs collapse), a leading digit
 * gets `_`, monotonic sums end in `_total`. Histogram `_bucket`/`_count`/`_sum`
 * suffixes are resolved by the query engine.
 */
export function prometheusNames(name: string, kind: MetricKind): string[] {
  let sanitized = sanitizeName(name);
  if (sanitized[0] >= '0' && sanitized[0] <= '9') sanitized = `_${sanitized}`;
  const out = new Set<string>();
  out.add(sanitized);
  if (kind === 'counter' && !sanitized.endsWith('_total')) out.add(`${sanitized}_total`);
  out.delete(name);
  return [...out];
}

/** The exporter's sanitisation of metric and label names. */
export function sanitizeName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_+/g, '_');
}
