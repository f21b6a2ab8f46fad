// The ring's contents: families and series, the point stores, and the path
// from a ResourceMetrics (collected locally or received from elsewhere) into
// them. Nothing here throws into the caller: a point that cannot be stored is
// dropped, counted and reported by a rate-limited warning.
//
// Per data point the work is one attribute lookup (the sdk's trie, keyed by the
// caller's own strings: no string key is built) and one append to the series'
// lane. A miss normalises the attributes once and creates the series, within
// the limits: past `cardinalityLimit` (per metric and resource) or `maxSeries`
// (all together), points go to the family's overflow series
// `{ "otel.metric.overflow": "true" }`, as the sdk does.
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType } from '@fastmeter/sdk';
import { AttributeTrie, Warnings, normalizeAttributes } from '@fastmeter/sdk/internal';
import type { ResolvedOptions } from '../options.js';
import { CompressedLanes } from './compressed-lanes.js';
import type { Counts } from './counts.js';
import { HistInput, HistogramRing } from './histogram-ring.js';
import { COLUMN, Family, type MetricKind, ResourceEntry, type ScopeInfo, Series, SeriesColumns, isScalar, labelValue } from './model.js';
import { PlainLanes } from './plain-lanes.js';
import type { ScalarStore } from './scalar-store.js';

/** The epoch is set this far before the first point, so that slightly older data still fits. */
const EPOCH_BACK = 2 ** 30;
const REL_MAX = 2 ** 32 - 1;
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });
const LIMITS = { valueLengthLimit: Number.POSITIVE_INFINITY, countLimit: 128 };

export interface IngestOptions {
  /**
   * Stamp every point with this time (ms since the epoch) instead of its own
   * end time: for data from a producer whose clock cannot be trusted.
   */
  time?: number;
}

/** What one ingest() did. */
export interface IngestResult {
  /** Points stored (overflowed points included). */
  points: number;
  /** Points dropped: malformed, out of order, or of a metric past `maxMetrics`. */
  dropped: number;
  /** Points that went to an overflow series. */
  overflowed: number;
}

export interface RingStats {
  /** Series held (overflow series included). */
  series: number;
  metrics: number;
  /** Points held in all series. */
  points: number;
  /** Bytes allocated for points (typed arrays, chunk arena, histogram records). */
  bytes: number;
  droppedPoints: number;
  overflowedPoints: number;
  reclaimedSeries: number;
  /** Histogram points dropped early for lack of record space. */
  evictedPoints: number;
}

export class RingStore {
  readonly scalars: ScalarStore;
  /** Families by `scope key \0 name`. */
  readonly families = new Map<string, Family>();
  /** Families by every name a selector may use (name and Prometheus aliases). */
  readonly byName = new Map<string, Family[]>();
  readonly seriesById: (Series | undefined)[] = [];
  private readonly _columns = new SeriesColumns();
  private readonly _orders = new WeakMap<AttributeTrie, Map<string, readonly string[]>>();
  readonly resources = new Map<string, ResourceEntry>();
  readonly warnings = new Warnings();
  /** Absolute ms of relative time 0 (NaN until the first point). */
  epoch = Number.NaN;
  /** Newest point time stored (absolute ms), or NaN. */
  newest = Number.NaN;
  private readonly _freeIds: number[] = [];
  private readonly _resourceByObject = new WeakMap<object, ResourceEntry>();
  private _limitedSeries = 0;
  private _resourceIds = 0;
  private _lastSweep = 0;
  private _dropped = 0;
  private _overflowed = 0;
  private _reclaimed = 0;
  private readonly _input = new HistInput();
  private readonly _overflowHist = new HistInput();
  private readonly _alpha = { dt: -1, a1: 0, a5: 0, a15: 0 };

  constructor(readonly options: ResolvedOptions) {
    const c = options.compression;
    this.scalars = c === null ? new PlainLanes(options.slots) : new CompressedLanes(options.slots, c.hotSlots, c.chunkSlots);
  }

  /** How long a series may go unseen before it is reclaimed: one whole ring. */
  get retentionMillis(): number {
    return this.options.slots * this.options.intervalMillis;
  }

  // ---- ingest -------------------------------------------------------------------------

  /** `identity`: attribute objects may be recognised by identity (true only for the reader's own collections). */
  ingest(resourceMetrics: unknown, options: IngestOptions = {}, identity = false): IngestResult {
    const result: IngestResult = { points: 0, dropped: 0, overflowed: 0 };
    const now = this.options.now();
    try {
      const rm = resourceMetrics as { resource?: { attributes?: Attributes }; scopeMetrics?: unknown };
      if (rm === null || typeof rm !== 'object' || !Array.isArray(rm.scopeMetrics)) {
        this.warnings.warn('ingest-shape', 'fastmeter ring: ingest() needs a ResourceMetrics ({ resource, scopeMetrics: [...] }); ignored');
        return result;
      }
      const time = options?.time;
      const forced = typeof time === 'number' && Number.isFinite(time) ? time : undefined;
      const resource = this._resource(rm.resource);
      for (const sm of rm.scopeMetrics as unknown[]) {
        const scopeMetrics = sm as { scope?: ScopeInfo; metrics?: unknown };
        if (scopeMetrics === null || typeof scopeMetrics !== 'object' || !Array.isArray(scopeMetrics.metrics)) continue;
        const scope = normaliseScope(scopeMetrics.scope);
        for (const metric of scopeMetrics.metrics) this._ingestMetric(resource, scope, metric, forced, now, result, identity);
      }
    } catch (err) {
      this.warnings.warn('ingest-error', `fastmeter ring: ingest() failed part-way: ${(err as Error)?.message ?? String(err)}`);
    }
    this._dropped += result.dropped;
    this._overflowed += result.overflowed;
    if (now - this._lastSweep >= this.options.intervalMillis) {
      this._lastSweep = now;
      this.sweep(now);
    }
    return result;
  }

  private _resource(resource: { attributes?: Attributes } | undefined): ResourceEntry {
    const object = resource !== null && typeof resource === 'object' ? resource : undefined;
    if (object !== undefined) {
      const known = this._resourceByObject.get(object);
      if (known !== undefined && this.resources.get(known.key) === known) return known;
    }
    const attrs = (object?.attributes ?? {}) as Attributes;
    const keys = Object.keys(attrs).sort();
    const key = JSON.stringify(keys.map(k => [k, attrs[k]]));
    let entry = this.resources.get(key);
    if (entry === undefined) {
      const dims: Record<string, string> = {};
      for (const d of this.options.resourceDimensions) if (attrs[d] !== undefined && attrs[d] !== null) dims[d] = labelValue(attrs[d]);
      entry = new ResourceEntry(this._resourceIds++, key, Object.freeze(dims), object);
      this.resources.set(key, entry);
    }
    entry.resource = object;
    if (object !== undefined) this._resourceByObject.set(object, entry);
    return entry;
  }

  private _ingestMetric(
    resource: ResourceEntry,
    scope: ScopeInfo,
    metric: any,
    forced: number | undefined,
    now: number,
    result: IngestResult,
    identity: boolean,
  ): void {
    const points = metric?.dataPoints;
    const name = metric?.descriptor?.name;
    if (!Array.isArray(points) || typeof name !== 'string' || name === '') {
      this.warnings.warn('metric-shape', 'fastmeter ring: a metric without descriptor.name or dataPoints was ignored');
      return;
    }
    const kind = kindOf(metric);
    if (kind === undefined) {
      this.warnings.warn(`kind:${name}`, `fastmeter ring: metric "${name}" has an unknown dataPointType ${String(metric.dataPointType)}; dropped`);
      result.dropped += points.length;
      return;
    }
    const family = this._family(scope, metric, kind);
    if (family === undefined) {
      result.dropped += points.length;
      return;
    }
    const delta = metric.aggregationTemporality === AggregationTemporality.DELTA && kind !== 'gauge';
    // Points past the limit are merged (one overflow series per resource, and one
    // resource per ingest), then written once.
    let overflow: Series | null = null;
    let overflowT = 0;
    // Sweeps run after the whole ingest: the trie stays valid through the loop.
    const trie = this._trie(family, resource);
    const scalar = isScalar(kind);
    // Points of one collection usually share their endTime array: convert it once.
    let endRef: unknown;
    let endMs = Number.NaN;
    for (const point of points) {
      const end = point?.endTime;
      if (end !== endRef) {
        endRef = end;
        endMs = hrToMillis(end);
      }
      const t = forced ?? endMs;
      if (t !== t || point === null || typeof point !== 'object') {
        result.dropped++;
        this.warnings.warn(`point:${name}`, `fastmeter ring: a point of "${name}" has no valid endTime; dropped`);
        continue;
      }
      // A scalar's value is checked here (the common case, no call); a histogram's by _validHistogram.
      const value = point.value;
      if (scalar ? typeof value !== 'number' || value !== value : !this._validHistogram(point, kind, name)) {
        if (scalar) this.warnings.warn(`value:${name}`, `fastmeter ring: a point of "${name}" has a non-numeric value; dropped`);
        result.dropped++;
        continue;
      }
      const attributes = point.attributes;
      const object = attributes !== null && typeof attributes === 'object';
      let series: Series | undefined = identity && object ? family.identity.get(attributes) : undefined;
      if (series === undefined || series.removed || series.resource !== resource) {
        // The trie's hit path here; a miss (or no attributes object) goes to _series.
        const id = object ? trie.find(attributes) : -1;
        series = id >= 0 ? (this.seriesById[id] as Series) : this._series(family, resource, trie, attributes, now);
        if (identity && object) family.identity.set(attributes, series);
      }
      this._columns.f[series.id * 8 + COLUMN.SEEN_AT] = now;
      if (series.overflow) {
        if (!this._mergeOverflow(point, kind, overflow === null)) {
          result.dropped++;
          continue;
        }
        overflow = series;
        overflowT = Math.max(overflowT, t);
        result.overflowed++;
        result.points++;
        continue;
      }
      if (scalar ? this._writeScalar(series, t, value, delta, point.startTime) : this._writeHistogram(series, t, point, kind, delta)) result.points++;
      else result.dropped++;
    }
    if (overflow !== null) this._writeOverflow(overflow, overflowT, kind, delta);
  }

  /** Checks a point's value before it may create a series (histograms: parsed into `_input`). */
  /** Reads a histogram point's value into `_input`; false (with a warning) when it is malformed. */
  private _validHistogram(point: any, kind: MetricKind, name: string): boolean {
    if (toHistInput(point.value, kind, this._input)) return true;
    this.warnings.warn(`value:${name}`, `fastmeter ring: a histogram point of "${name}" is malformed; dropped`);
    return false;
  }

  private _family(scope: ScopeInfo, metric: any, kind: MetricKind): Family | undefined {
    const d = metric.descriptor;
    const key = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}\u0000${d.name}`;
    let family = this.families.get(key);
    if (family !== undefined) {
      if (family.kind !== kind) {
        this.warnings.warn(
          `conflict:${key}`,
          `fastmeter ring: metric "${d.name}" (scope ${scope.name}) arrived as ${kind} but is held as ${family.kind}; its points are dropped`,
        );
        return undefined;
      }
      return family;
    }
    if (this.families.size >= this.options.maxMetrics) {
      this.warnings.warn('max-metrics', `fastmeter ring: maxMetrics (${this.options.maxMetrics}) reached; points of new metric "${d.name}" are dropped`);
      return undefined;
    }
    family = new Family(
      key,
      d.name,
      kind,
      typeof d.description === 'string' ? d.description : '',
      typeof d.unit === 'string' ? d.unit : '',
      typeof d.valueType === 'number' ? d.valueType : 1,
      scope,
      kind === 'counter',
    );
    this.families.set(key, family);
    for (const n of [family.name, ...family.aliases]) {
      const list = this.byName.get(n);
      if (list === undefined) this.byName.set(n, [family]);
      else list.push(family);
    }
    return family;
  }

  /** The series of these attributes in `family`, created within the limits, else the overflow series. */
  private _trie(family: Family, resource: ResourceEntry): AttributeTrie {
    let trie = family.tries.get(resource);
    if (trie === undefined) family.tries.set(resource, (trie = new AttributeTrie()));
    return trie;
  }

  private _series(family: Family, resource: ResourceEntry, trie: AttributeTrie, raw: unknown, now: number): Series {
    const attributes = raw !== null && typeof raw === 'object' ? (raw as Attributes) : {};
    const id = trie.find(attributes);
    if (id >= 0) return this.seriesById[id] as Series;
    const n = normalizeAttributes(attributes, LIMITS);
    const sorted = n.canonical.map(i => n.keys[i]);
    const values = n.canonical.map(i => n.values[i]);
    // Every series of one key set has a path in that set's primary order (the key order of
    // its first clean caller; sorted when not known); other orders get alias paths on first use.
    const orders = this._ordersOf(trie);
    const signature = JSON.stringify(sorted);
    let order = orders.get(signature);
    const walked = n.clean && n.walkKeys.length === sorted.length;
    if (order === undefined) {
      // Fixed at the key set's first sight. Bounded: once the map is full, a new key set's order is
      // the sorted one (never remembered later, so always the same).
      order = walked && orders.size < this.options.cardinalityLimit ? n.walkKeys.slice() : sorted;
      if (orders.size < this.options.cardinalityLimit) orders.set(signature, order);
    }
    let ordered: unknown[] = values;
    if (order !== sorted) {
      const at = new Map(sorted.map((k, i) => [k, values[i]]));
      ordered = order.map(k => at.get(k));
    }
    const primaryWalk = walked && n.walkKeys.every((k, i) => k === order[i]);
    const known = trie.findPairs(order, ordered);
    if (known >= 0) {
      if (n.clean && !primaryWalk) trie.insert(n.walkKeys, n.walkValues, ~known);
      return this.seriesById[known] as Series;
    }
    // The producer's own overflow series ({ "otel.metric.overflow": true }) joins the ring's.
    const producerOverflow = sorted.length === 1 && sorted[0] === 'otel.metric.overflow' && values[0] === true;
    if (producerOverflow || family.limited >= this.options.cardinalityLimit || this._limitedSeries >= this.options.maxSeries) {
      const overflow = this._overflowSeries(family, resource, now);
      // Remember where this set goes (bounded), so that its next lookup is the trie's fast path.
      if (n.clean && family.overflowAliases < this.options.cardinalityLimit) {
        trie.insert(order, ordered, ~overflow.id);
        if (!primaryWalk) trie.insert(n.walkKeys, n.walkValues, ~overflow.id);
        family.overflowAliases++;
      }
      return overflow;
    }
    const copy: Record<string, unknown> = {};
    for (let i = 0; i < sorted.length; i++) copy[sorted[i]] = values[i];
    const series = this._create(family, resource, copy as Attributes, false, now);
    // The caller's lookups stay on the trie's fast path (one Map per key, no search among other
    // keys): its order is the primary path, or an alias of it.
    if (primaryWalk) trie.insert(n.walkKeys, n.walkValues, series.id);
    else {
      trie.insert(order, ordered, series.id);
      if (n.clean) trie.insert(n.walkKeys, n.walkValues, ~series.id);
    }
    family.limited++;
    this._limitedSeries++;
    return series;
  }

  /** The primary key order of each key set in `trie` (by JSON of the sorted keys); dropped with the trie. */
  private _ordersOf(trie: AttributeTrie): Map<string, readonly string[]> {
    let orders = this._orders.get(trie);
    if (orders === undefined) this._orders.set(trie, (orders = new Map()));
    return orders;
  }

  private _overflowSeries(family: Family, resource: ResourceEntry, now: number): Series {
    let series = family.overflow.get(resource);
    if (series === undefined) {
      series = this._create(family, resource, OVERFLOW_ATTRIBUTES, true, now);
      family.overflow.set(resource, series);
      this.warnings.warn(
        `overflow:${family.key}`,
        `fastmeter ring: metric "${family.name}" reached its series limit (cardinalityLimit ${this.options.cardinalityLimit}, maxSeries ${this.options.maxSeries}); new attribute sets go to { "otel.metric.overflow": true }`,
      );
    }
    return series;
  }

  private _create(family: Family, resource: ResourceEntry, attributes: Attributes, overflow: boolean, now: number): Series {
    const id = this._freeIds.pop() ?? this.seriesById.length;
    const series = new Series(id, family, resource, attributes, overflow, this._columns);
    series.seenAt = now;
    if (family.kind !== 'histogram' && family.kind !== 'exponential_histogram') series.lane = this.scalars.allocate();
    this.seriesById[id] = series;
    family.series.add(series);
    resource.series++;
    return series;
  }

  // ---- writing points ---------------------------------------------------------------

  /** Relative time of absolute ms `t`; -1 when it is before the epoch. Moves the epoch forward when needed. */
  rel(t: number): number {
    const ms = Math.floor(t);
    if (this.epoch !== this.epoch) this.epoch = ms - EPOCH_BACK;
    let r = ms - this.epoch;
    if (r < 0) return -1;
    if (r > REL_MAX) {
      this._rebase(r - EPOCH_BACK);
      r = ms - this.epoch;
    }
    if (!(this.newest >= ms)) this.newest = ms;
    return r;
  }

  private _rebase(shift: number): void {
    this.scalars.rebase(shift);
    for (const series of this.seriesById) {
      if (series === undefined) continue;
      series.hist?.rebase(shift);
      if (series.lane >= 0) series.lastT = this.scalars.lastTime(series.lane);
      if (series.starts !== null) {
        const s = series.starts;
        const kept: number[] = [];
        for (let i = 0; i < s.length; i += 2) if (s[i] >= shift) kept.push(s[i] - shift, s[i + 1]);
        series.starts = kept.length > 0 ? kept : null;
      }
    }
    this.epoch += shift;
  }

  /** Writes a histogram point checked by _validHistogram (its value is already in `_input`). */
  private _writeHistogram(series: Series, t: number, point: any, kind: MetricKind, delta: boolean): boolean {
    const bounds: number[] | undefined = kind === 'histogram' ? point.value.buckets.boundaries : undefined;
    return this._appendHistogram(series, t, this._input, bounds, delta, point.startTime);
  }

  private _writeScalar(series: Series, t: number, value: number, delta: boolean, startTime: unknown): boolean {
    const r = this.rel(t);
    if (r < 0) return this._tooOld(series);
    // The series' numbers, read and written in place (SeriesColumns).
    const f = this._columns.f;
    const o = series.id * 8;
    const last = f[o + COLUMN.LAST_T];
    const v = delta ? f[o + COLUMN.ACC] + value : value;
    if (last >= 0 && r <= last) {
      if (r < last) return this._outOfOrder(series);
      this.scalars.replaceLast(series.lane, v);
      f[o + COLUMN.LAST_V] = v;
      if (delta) f[o + COLUMN.ACC] = v;
      return true;
    }
    const kind = series.family.kind;
    if (kind === 'counter' && last >= 0) this._ewma(series, (r - last) / 1000, f[o + COLUMN.LAST_V], v);
    if (kind !== 'gauge' && startTime !== series.startRef && !(delta && last >= 0)) this._start(series, r, startTime);
    this.scalars.append(series.lane, r, v);
    f[o + COLUMN.LAST_T] = r;
    f[o + COLUMN.LAST_V] = v;
    if (delta) f[o + COLUMN.ACC] = v;
    return true;
  }

  /** Load-average EWMA of the counter's rate (Dropwizard EWMA: the first rate initialises it). */
  private _ewma(series: Series, dt: number, prev: number, v: number): void {
    if (!(dt > 0)) return;
    const a = this._alpha;
    if (a.dt !== dt) {
      a.dt = dt;
      a.a1 = 1 - Math.exp(-dt / 60);
      a.a5 = 1 - Math.exp(-dt / 300);
      a.a15 = 1 - Math.exp(-dt / 900);
    }
    const rate = (v >= prev ? v - prev : v) / dt;
    const f = this._columns.f;
    const o = series.id * 8;
    if (!series.ewmaReady) {
      f[o + COLUMN.EWMA1] = f[o + COLUMN.EWMA5] = f[o + COLUMN.EWMA15] = rate;
      series.ewmaReady = true;
      return;
    }
    f[o + COLUMN.EWMA1] += a.a1 * (rate - f[o + COLUMN.EWMA1]);
    f[o + COLUMN.EWMA5] += a.a5 * (rate - f[o + COLUMN.EWMA5]);
    f[o + COLUMN.EWMA15] += a.a15 * (rate - f[o + COLUMN.EWMA15]);
  }

  /** Records a new start time (a restart of the producer) from relative time r on. */
  private _start(series: Series, r: number, startTime: unknown): void {
    series.startRef = startTime;
    const startMs = typeof startTime === 'number' ? startTime : hrToMillis(startTime);
    if (startMs !== startMs || startMs === series.startMs) return;
    if (series.startMs !== 0) {
      series.starts ??= [];
      series.starts.push(r, startMs);
      const first = series.lane >= 0 ? this.scalars.firstTime(series.lane) : (series.hist?.firstTime() ?? -1);
      // Drop history no held point needs (keep the entry in force at the oldest point).
      while (series.starts.length > 2 && series.starts[2] <= first) series.starts.splice(0, 2);
    }
    series.startMs = startMs;
  }

  private _appendHistogram(series: Series, t: number, input: HistInput, bounds: number[] | undefined, delta: boolean, startTime: unknown): boolean {
    const r = this.rel(t);
    if (r < 0) return this._tooOld(series);
    let hist = series.hist;
    if (hist !== null && bounds !== undefined && !sameBounds(hist.boundaries, bounds)) {
      this.warnings.warn(`bounds:${series.family.name}`, `fastmeter ring: the bucket boundaries of "${series.family.name}" changed; that series starts over`);
      hist = null;
    }
    if (hist === null) {
      hist = new HistogramRing(
        this.options.slots,
        series.family.kind === 'exponential_histogram',
        Float64Array.from(bounds ?? []),
        this.options.histogramBytesPerSeries,
      );
      series.hist = hist;
    }
    const last = hist.lastTime();
    if (last >= 0 && r <= last) {
      if (r < last) return this._outOfOrder(series);
      this.warnings.warn(
        `dup:${series.family.name}`,
        `fastmeter ring: two points of one "${series.family.name}" series at the same time; the second is dropped`,
      );
      return false;
    }
    if (startTime !== series.startRef && !(delta && last >= 0)) this._start(series, r, startTime);
    if (!hist.append(r, input, delta)) {
      this.warnings.warn(`big:${series.family.name}`, `fastmeter ring: a point of "${series.family.name}" exceeds histogramBytesPerSeries; dropped`);
      return false;
    }
    return true;
  }

  private _overflowBounds: number[] | undefined = undefined;
  private _overflowValue = 0;

  /** Adds a point into the pending overflow value (`first`: starts it over). */
  private _mergeOverflow(point: any, kind: MetricKind, first: boolean): boolean {
    if (kind === 'histogram' || kind === 'exponential_histogram') {
      const input = this._input;
      if (!toHistInput(point.value, kind, input)) return false;
      const acc = this._overflowHist;
      if (first) {
        acc.clear();
        acc.scale = input.scale;
        acc.min = Number.POSITIVE_INFINITY;
        acc.max = Number.NEGATIVE_INFINITY;
        this._overflowBounds = kind === 'histogram' ? point.value.buckets.boundaries : undefined;
      } else if (kind === 'histogram' && !sameBounds(Float64Array.from(this._overflowBounds ?? []), point.value.buckets.boundaries)) {
        return false;
      }
      if (input.scale < acc.scale) {
        acc.pos.downscale(acc.scale - input.scale);
        acc.neg.downscale(acc.scale - input.scale);
        acc.scale = input.scale;
      } else if (input.scale > acc.scale) {
        input.pos.downscale(input.scale - acc.scale);
        input.neg.downscale(input.scale - acc.scale);
      }
      acc.count += input.count;
      acc.zero += input.zero;
      acc.sum = (acc.sum !== acc.sum ? 0 : acc.sum) + (input.sum !== input.sum ? 0 : input.sum);
      if (input.min < acc.min) acc.min = input.min;
      if (input.max > acc.max) acc.max = input.max;
      acc.zeroThreshold = Math.max(acc.zeroThreshold, input.zeroThreshold);
      acc.pos.addAll(input.pos);
      acc.neg.addAll(input.neg);
      return true;
    }
    const v = point.value;
    if (typeof v !== 'number' || v !== v) return false;
    // Sums add up (the overflowed series' cumulative totals, or their deltas); a gauge keeps the last value.
    this._overflowValue = first || kind === 'gauge' ? v : this._overflowValue + v;
    return true;
  }

  private _writeOverflow(series: Series, t: number, kind: MetricKind, delta: boolean): void {
    if (kind === 'histogram' || kind === 'exponential_histogram') {
      const acc = this._overflowHist;
      if (acc.min === Number.POSITIVE_INFINITY) acc.min = Number.NaN;
      if (acc.max === Number.NEGATIVE_INFINITY) acc.max = Number.NaN;
      this._appendHistogram(series, t, acc, this._overflowBounds, delta, series.startMs || t);
      return;
    }
    this._writeScalar(series, t, this._overflowValue, delta, series.startMs || t);
  }

  private _tooOld(series: Series): false {
    this.warnings.warn(`old:${series.family.name}`, `fastmeter ring: a point of "${series.family.name}" is older than the ring's epoch; dropped`);
    return false;
  }

  private _outOfOrder(series: Series): false {
    this.warnings.warn(`order:${series.family.name}`, `fastmeter ring: a point of "${series.family.name}" is older than the series' newest; dropped`);
    return false;
  }

  // ---- reclaiming -----------------------------------------------------------------------

  /** Removes series not seen for a whole ring (slots × intervalMillis). */
  sweep(now: number): number {
    const cutoff = now - this.retentionMillis;
    const dead = new Set<number>();
    const touched = new Set<Family>();
    for (const series of this.seriesById) {
      if (series === undefined || series.seenAt >= cutoff) continue;
      dead.add(series.id);
      touched.add(series.family);
    }
    if (dead.size === 0) return 0;
    for (const family of touched) {
      for (const series of family.series) {
        if (!dead.has(series.id)) continue;
        this._remove(series);
      }
      for (const [resource, trie] of family.tries) {
        trie.remove(sid => dead.has(sid));
        if (![...family.series].some(s => s.resource === resource)) family.tries.delete(resource);
      }
      if (family.series.size === 0) this._removeFamily(family);
    }
    for (const [key, entry] of this.resources) if (entry.series === 0) this.resources.delete(key);
    this._reclaimed += dead.size;
    return dead.size;
  }

  private _remove(series: Series): void {
    const family = series.family;
    series.removed = true;
    family.series.delete(series);
    if (series.overflow) {
      family.overflow.delete(series.resource);
      family.overflowAliases = 0; // sweep() removes every trie path leading to it
    } else {
      family.limited--;
      this._limitedSeries--;
    }
    if (series.lane >= 0) this.scalars.free(series.lane);
    series.hist = null;
    series.resource.series--;
    this.seriesById[series.id] = undefined;
    this._freeIds.push(series.id);
  }

  private _removeFamily(family: Family): void {
    this.families.delete(family.key);
    for (const n of [family.name, ...family.aliases]) {
      const list = this.byName.get(n);
      if (list === undefined) continue;
      const i = list.indexOf(family);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byName.delete(n);
    }
  }

  /** Removes every series and family. */
  clear(): void {
    for (const series of this.seriesById) if (series !== undefined) this._remove(series);
    for (const family of [...this.families.values()]) this._removeFamily(family);
    this.resources.clear();
  }

  // ---- reading ------------------------------------------------------------------------

  stats(): RingStats {
    let bytes = this.scalars.bytes();
    let points = this.scalars.points();
    let evicted = 0;
    let series = 0;
    for (const s of this.seriesById) {
      if (s === undefined) continue;
      series++;
      if (s.hist !== null) {
        bytes += s.hist.bytesHeld();
        points += s.hist.n;
        evicted += s.hist.evicted;
      }
    }
    return {
      series,
      metrics: this.families.size,
      points,
      bytes,
      droppedPoints: this._dropped,
      overflowedPoints: this._overflowed,
      reclaimedSeries: this._reclaimed,
      evictedPoints: evicted,
    };
  }
}

/** HrTime → ms, rounded as @opentelemetry/core's hrTimeToMilliseconds (and so the Prometheus exporter's timestamps). */
export function hrToMillis(t: unknown): number {
  if (Array.isArray(t) && typeof t[0] === 'number' && typeof t[1] === 'number') return Math.round(t[0] * 1000 + t[1] / 1e6);
  if (typeof t === 'number') return t;
  return Number.NaN;
}

function normaliseScope(scope: unknown): ScopeInfo {
  const s = scope as ScopeInfo | undefined;
  if (s === null || typeof s !== 'object' || typeof s.name !== 'string') return { name: '' };
  return s;
}

function kindOf(metric: any): MetricKind | undefined {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic === true ? 'counter' : 'updowncounter';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return 'exponential_histogram';
    default:
      return undefined;
  }
}

function sameBounds(a: Float64Array, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && v === v ? v : fallback;
}

/** Reads an sdk-metrics Histogram or ExponentialHistogram value into `out`; false when malformed. */
export function toHistInput(value: any, kind: MetricKind, out: HistInput): boolean {
  if (value === null || typeof value !== 'object') return false;
  out.clear();
  out.count = finiteOr(value.count, Number.NaN);
  if (out.count !== out.count || out.count < 0) return false;
  out.sum = finiteOr(value.sum, Number.NaN);
  out.min = finiteOr(value.min, Number.NaN);
  out.max = finiteOr(value.max, Number.NaN);
  if (kind === 'histogram') {
    const b = value.buckets;
    if (b === null || typeof b !== 'object' || !Array.isArray(b.boundaries) || !Array.isArray(b.counts)) return false;
    if (b.counts.length !== b.boundaries.length + 1) return false;
    for (let i = 0; i < b.counts.length; i++) {
      const c = b.counts[i];
      if (typeof c !== 'number' || !(c >= 0)) return false;
      if (c !== 0) out.pos.set(i, c);
    }
    return true;
  }
  if (typeof value.scale !== 'number' || !Number.isInteger(value.scale)) return false;
  out.scale = value.scale;
  out.zero = finiteOr(value.zeroCount, 0);
  out.zeroThreshold = finiteOr(value.zeroThreshold, 0);
  return side(value.positive, out.pos) && side(value.negative, out.neg);
}

function side(buckets: any, into: Counts): boolean {
  if (buckets === undefined || buckets === null) return true;
  const counts = buckets.bucketCounts;
  const offset = buckets.offset;
  if (!Array.isArray(counts) || typeof offset !== 'number' || !Number.isInteger(offset)) return false;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (typeof c !== 'number' || !(c >= 0)) return false;
    if (c !== 0) into.set(offset + i, c);
  }
  return true;
}
