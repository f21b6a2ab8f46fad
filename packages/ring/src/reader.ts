// RingBufferReader: a MetricReader (matched by shape, as every fastmeter reader
// is) that collects from its provider every interval into the ring, and the
// public face of the ring: ingest() for data collected elsewhere, queries,
// listings, forwarding to exporters.
import { type MeterProvider, ValueType, diag } from '@opentelemetry/api';
import { AggregationTemporality, AggregationType, DataPointType } from '@fastmeter/sdk';
import type { AggregationOption, CollectionResult, IMetricReader, InstrumentType, MetricProducer, ResourceMetrics } from '@fastmeter/sdk';
import { RingConfigError, RingErrorCode } from './errors.js';
import { type ForwardOptions, Forwarder } from './forward/forwarder.js';
import { type RingOptions, resolveOptions, type ResolvedOptions } from './options.js';
import type { Expr, SelectorNode } from './query/ast.js';
import { type Duration, type InstantResult, QueryEngine, type QueryOptions, type RangeResult, parseDuration } from './query/engine.js';
import { Evaluator } from './query/evaluate.js';
import type { HistogramSnapshot } from './query/hist-value.js';
import { parse } from './query/parser.js';
import { histogramAt } from './query/streams.js';
import type { Labels, MetricKind, ScopeInfo } from './store/model.js';
import { type IngestOptions, type IngestResult, RingStore, type RingStats } from './store/ring-store.js';
import { PointBuffer } from './store/scalar-store.js';
import { VERSION } from './version.js';
import { QueryError, QueryErrorCode } from './errors.js';

const CUMULATIVE = AggregationTemporality.CUMULATIVE;
const EMPTY_LABELS: Labels = Object.freeze({});

type Producer = MetricProducer;

export interface MetricInfo {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly kind: MetricKind;
  readonly valueType: 'int' | 'double';
  readonly scope: ScopeInfo;
  /** Series held. */
  readonly series: number;
  /** Label names used by its series (resource dimensions included). */
  readonly labelNames: string[];
  /** Other names a query may use for it (the Prometheus exporter's names). */
  readonly aliases: readonly string[];
}

export interface SeriesInfo {
  readonly name: string;
  readonly kind: MetricKind;
  readonly labels: Labels;
  /** Points held. */
  readonly points: number;
  /** Times (ms) of the oldest and newest point held; NaN when none. */
  readonly first: number;
  readonly last: number;
  /** True for a series collecting points past the cardinality limit. */
  readonly overflow: boolean;
}

export interface RawSeries {
  readonly name: string;
  readonly kind: MetricKind;
  readonly labels: Labels;
  readonly times: number[];
  /** Stored values: cumulative totals for counters, values for gauges; NaN for histograms. */
  readonly values: number[];
  /** Histograms: the cumulative histogram at each time. */
  readonly histograms?: HistogramSnapshot[];
}

/** What subscribers hear after each collection or ingest. */
export interface RingEvent {
  /** 'collect' for the reader's own collections, 'ingest' for ingest() calls. */
  readonly source: 'collect' | 'ingest';
  /** Wall time of the event, ms. */
  readonly time: number;
  readonly result: IngestResult;
}

export interface RingBufferReaderOptions extends RingOptions {
  /**
   * The aggregation the ring asks the provider for, per instrument type (as a
   * MetricReader's `aggregationSelector`). Default: the instrument's default.
   */
  aggregationSelector?: (instrumentType: InstrumentType) => AggregationOption;
}

export class RingBufferReader implements IMetricReader {
  private readonly _options: ResolvedOptions;
  private readonly _store: RingStore;
  private readonly _engine: QueryEngine;
  private readonly _aggregation: RingBufferReaderOptions['aggregationSelector'];
  private readonly _listeners = new Set<(event: RingEvent) => void>();
  private readonly _forwarders = new Set<Forwarder>();
  private readonly _selfMetrics: boolean;
  private _producer: Producer | undefined = undefined;
  private _timer: ReturnType<typeof setInterval> | undefined = undefined;
  private _collecting: Promise<void> | undefined = undefined;
  private _shutdown = false;
  private _lastResource: unknown = undefined;

  constructor(options: RingBufferReaderOptions = {}) {
    this._options = resolveOptions(options);
    if (options.aggregationSelector !== undefined && typeof options.aggregationSelector !== 'function') {
      throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'aggregationSelector must be a function');
    }
    this._aggregation = options.aggregationSelector;
    this._store = new RingStore(this._options);
    this._engine = new QueryEngine(this._store);
    const self = options.selfMetrics;
    this._selfMetrics = self === true;
    if (self !== undefined && typeof self !== 'boolean') {
      if (self === null || typeof (self as MeterProvider).getMeter !== 'function') {
        throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'selfMetrics must be a boolean or a MeterProvider');
      }
      this.registerSelfMetrics(self as MeterProvider);
    }
  }

  /** The resolved configuration (interval, slots, limits). */
  get options(): Readonly<ResolvedOptions> {
    return this._options;
  }

  // ---- the MetricReader contract ------------------------------------------------------

  setMetricProducer(producer: Producer): void {
    if (this._producer !== undefined) {
      throw new RingConfigError(RingErrorCode.ALREADY_REGISTERED, 'this RingBufferReader is already registered with a MeterProvider');
    }
    this._producer = producer;
    if (this._shutdown) return;
    this._timer = setInterval(() => void this._tick(), this._options.intervalMillis);
    this._timer.unref?.();
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this._aggregation?.(instrumentType) ?? { type: AggregationType.DEFAULT };
  }

  /** The ring stores counters and histograms cumulatively: it asks for cumulative data. */
  selectAggregationTemporality(_instrumentType: InstrumentType): typeof CUMULATIVE {
    return CUMULATIVE;
  }

  selectCardinalityLimit(_instrumentType: InstrumentType): number {
    return this._options.readerCardinalityLimit;
  }

  /** Collects from the provider now, stores the result in the ring and returns it (as any MetricReader). */
  async collect(options?: { timeoutMillis?: number }): Promise<CollectionResult> {
    if (this._producer === undefined) throw new Error('RingBufferReader is not registered with a MeterProvider (readers: [ring])');
    if (this._shutdown) throw new Error('RingBufferReader is shut down');
    const result = await this._producer.collect(options);
    this._ingest(result.resourceMetrics, {}, 'collect');
    return result;
  }

  /** Collects once now (so that the ring holds the latest values). */
  async forceFlush(_options?: { timeoutMillis?: number }): Promise<void> {
    if (this._producer === undefined || this._shutdown) return;
    await this._tick();
  }

  /** Stops collecting; forwarders send what the ring still holds (bounded by `timeoutMillis`), then stop. */
  async shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    if (this._shutdown) {
      diag.warn('fastmeter ring: shutdown may only be called once');
      return;
    }
    if (this._producer !== undefined) await this._tick();
    this._shutdown = true;
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    await Promise.all([...this._forwarders].map(f => f.shutdown(options)));
  }

  private _tick(): Promise<void> {
    if (this._collecting !== undefined || this._producer === undefined || this._shutdown) return this._collecting ?? Promise.resolve();
    // Cleared when it settles (a finally inside the async function can run before the assignment).
    const p: Promise<void> = this._collectOnce(this._producer).finally(() => {
      if (this._collecting === p) this._collecting = undefined;
    });
    this._collecting = p;
    return p;
  }

  private async _collectOnce(producer: Producer): Promise<void> {
    try {
      const result = await producer.collect({ timeoutMillis: this._options.intervalMillis });
      this._ingest(result.resourceMetrics, {}, 'collect');
      for (const err of result.errors ?? [])
        this._store.warnings.warn('collect-error', `fastmeter ring: collection error: ${(err as Error)?.message ?? String(err)}`);
    } catch (err) {
      this._store.warnings.warn('collect-failed', `fastmeter ring: collection failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  // ---- data from elsewhere ------------------------------------------------------------------

  /**
   * Stores a ResourceMetrics collected elsewhere (an OTLP receiver decoding into
   * sdk-metrics' shapes, another process's collection). Resource attributes
   * listed in `resourceDimensions` become series labels. Delta sums and
   * histograms are accumulated into cumulative series. Never throws: bad points
   * are dropped, counted in the result and warned about (rate-limited).
   */
  ingest(resourceMetrics: unknown, options?: IngestOptions): IngestResult {
    if (this._shutdown) return { points: 0, dropped: 0, overflowed: 0 };
    return this._ingest(resourceMetrics, options ?? {}, 'ingest');
  }

  private _ingest(resourceMetrics: unknown, options: IngestOptions, source: RingEvent['source']): IngestResult {
    // The provider's own collections hand the same attributes object for a series every time.
    const result = this._store.ingest(resourceMetrics, options, source === 'collect');
    if (source === 'collect') {
      const resource = (resourceMetrics as ResourceMetrics | undefined)?.resource;
      this._lastResource = resource;
      if (this._selfMetrics) this._store.ingest(this._selfMetricsData(resource), options);
    }
    if (this._listeners.size > 0) {
      const event: RingEvent = { source, time: this._options.now(), result };
      for (const listener of this._listeners) {
        try {
          listener(event);
        } catch (err) {
          this._store.warnings.warn('listener', `fastmeter ring: a subscriber threw: ${(err as Error)?.message ?? String(err)}`);
        }
      }
    }
    return result;
  }

  /** Calls `listener` after every collection and ingest; returns the function that unsubscribes. */
  subscribe(listener: (event: RingEvent) => void): () => void {
    if (typeof listener !== 'function') throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'subscribe() needs a function');
    this._listeners.add(listener);
    return () => {
      this._listeners.delete(listener);
    };
  }

  // ---- queries ----------------------------------------------------------------------------------

  /**
   * Evaluates a PromQL-like expression (a string, or one built with the query
   * builders). Without `range`: an instant query at `time` (default now). With
   * `range`: a range query over (time - range, time] every `step`.
   * Throws QueryError (with `position`) when the expression is malformed.
   */
  query(expr: string | Expr, options?: QueryOptions & { range?: undefined }): InstantResult;
  query(expr: string | Expr, options: QueryOptions & { range: Duration }): RangeResult;
  query(expr: string | Expr, options: QueryOptions = {}): InstantResult | RangeResult {
    if (options.range !== undefined) return this._engine.range(expr, options as QueryOptions & { range: Duration });
    return this._engine.instant(expr, options);
  }

  /** Parses and checks an expression without evaluating it: throws QueryError when it is malformed. */
  validate(expr: string): void {
    this._engine.compile(expr);
  }

  /** The metrics held, with their descriptors (for pickers and listings). */
  metrics(): MetricInfo[] {
    const out: MetricInfo[] = [];
    for (const f of this._store.families.values()) {
      const names = new Set<string>();
      for (const s of f.series) for (const k in s.labels) names.add(k);
      out.push({
        name: f.name,
        description: f.description,
        unit: f.unit,
        kind: f.kind,
        valueType: f.valueType === ValueType.INT ? 'int' : 'double',
        scope: f.scope,
        series: f.series.size,
        labelNames: [...names].sort(),
        aliases: f.aliases,
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The series a selector (`name{label="v"}`, default: all) matches. */
  series(selector?: string): SeriesInfo[] {
    const out: SeriesInfo[] = [];
    const store = this._store;
    for (const stream of this._streams(selector)) {
      const s = stream.series;
      const h = s.hist;
      const scalar = s.lane >= 0;
      const n = scalar ? store.scalars.size(s.lane) : (h?.n ?? 0);
      const first = scalar ? store.scalars.firstTime(s.lane) : (h?.firstTime() ?? -1);
      const last = scalar ? store.scalars.lastTime(s.lane) : (h?.lastTime() ?? -1);
      out.push({
        name: s.family.name,
        kind: s.family.kind,
        labels: s.labels,
        points: n,
        first: first < 0 ? Number.NaN : first + store.epoch,
        last: last < 0 ? Number.NaN : last + store.epoch,
        overflow: s.overflow,
      });
    }
    return out;
  }

  /** The values label `name` takes in the series a selector matches (default: all), sorted. */
  labelValues(name: string, selector?: string): string[] {
    const values = new Set<string>();
    for (const stream of this._streams(selector)) {
      const v = stream.series.labels[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  /** The raw points (stored values) of the series a selector matches, over (start, end] (default: all held). */
  read(selector: string, options: { start?: number; end?: number } = {}): RawSeries[] {
    const store = this._store;
    const start = options.start ?? Number.NEGATIVE_INFINITY;
    const end = options.end ?? Number.POSITIVE_INFINITY;
    const out: RawSeries[] = [];
    const buf = new PointBuffer(64);
    for (const stream of this._streams(selector)) {
      const s = stream.series;
      if (s.lane >= 0) {
        store.scalars.read(s.lane, start - store.epoch, end - store.epoch, store.epoch, buf);
        out.push({
          name: s.family.name,
          kind: s.family.kind,
          labels: s.labels,
          times: Array.from(buf.t.subarray(0, buf.n)),
          values: Array.from(buf.v.subarray(0, buf.n)),
        });
        continue;
      }
      const h = s.hist;
      if (h === null) continue;
      const times: number[] = [];
      const values: number[] = [];
      const histograms: HistogramSnapshot[] = [];
      for (let i = h.after(start - store.epoch); i < h.after(end - store.epoch); i++) {
        times.push(h.t[h.slot(i)] + store.epoch);
        values.push(Number.NaN);
        histograms.push(histogramAt(s, i).toJSON());
      }
      out.push({ name: s.family.name, kind: s.family.kind, labels: s.labels, times, values, histograms });
    }
    return out;
  }

  private _streams(selector: string | undefined) {
    let node: SelectorNode;
    if (selector === undefined || selector === '') node = { type: 'selector', name: undefined, matchers: [], range: undefined, offset: 0, pos: 0 };
    else {
      const e = parse(selector);
      if (e.type !== 'selector' || e.range !== undefined)
        throw new QueryError(QueryErrorCode.INVALID, 'expected a series selector such as name{label="value"}', 0, selector);
      node = e;
    }
    const ev = new Evaluator({
      store: this._store,
      expression: selector ?? '',
      lookback: this._options.lookbackMillis,
      warnings: new Set(),
      extensions: {},
      deadline: Number.POSITIVE_INFINITY,
    });
    return ev.streams(node);
  }

  /** Series, points and bytes held, and what was dropped. */
  stats(): RingStats {
    return this._store.stats();
  }

  /** The most memory the points can take with this configuration (scalar series at 12 B per point plain). */
  get memoryBoundBytes(): number {
    const o = this._options;
    const perScalar = o.compression === null ? o.slots * 12 : (o.slots + o.compression.chunkSlots) * 18 + o.compression.hotSlots * 12;
    const perHistogram = o.histogramBytesPerSeries + o.slots * 45;
    return (o.maxSeries + o.maxMetrics) * Math.max(perScalar, perHistogram);
  }

  // ---- forwarding -------------------------------------------------------------------------------

  /**
   * Exports what the ring holds to a standard PushMetricExporter every
   * `intervalMillis`, in the exporter's preferred temporality, without a second
   * collection. A failed export keeps its interval; later exports send the
   * backlog still in the ring, in order. Returns the forwarder (stop it with
   * `shutdown()`; the ring's shutdown stops it too).
   */
  forward(exporter: ForwardOptions['exporter'] | any, options: Omit<ForwardOptions, 'exporter'> = {}): Forwarder {
    if (this._shutdown) throw new RingConfigError(RingErrorCode.SHUT_DOWN, 'forward() on a shut-down RingBufferReader');
    const f = new Forwarder(this._store, { ...options, exporter }, () => this._forwarders.delete(f));
    this._forwarders.add(f);
    return f;
  }

  // ---- percentiles -----------------------------------------------------------------------------------

  /**
   * Answers `hdr_quantile(q, name[range])` from a source of raw-value
   * percentiles (HdrPercentiles from `@fastmeter/ring/hdr` attaches itself).
   */
  attachPercentiles(source: { quantile(name: string, q: number, start: number, end: number): { value: number } | undefined }): void {
    if (source === null || typeof source?.quantile !== 'function')
      throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'attachPercentiles needs a quantile(name, q, start, end) method');
    this._engine.extensions.hdrQuantile = (name, q, start, end) => {
      const r = source.quantile(name, q, start, end);
      return r === undefined ? undefined : [{ labels: EMPTY_LABELS, value: r.value }];
    };
  }

  // ---- self-metrics -------------------------------------------------------------------------------

  /** Registers observable gauges `fastmeter.ring.series` and `fastmeter.ring.bytes` on `provider`'s meter `fastmeter`. */
  registerSelfMetrics(provider: MeterProvider): void {
    const meter = provider.getMeter('fastmeter', VERSION);
    const series = meter.createObservableGauge('fastmeter.ring.series', { description: 'Series held by the ring buffer', unit: '{series}' });
    const bytes = meter.createObservableGauge('fastmeter.ring.bytes', { description: 'Bytes allocated for the points the ring buffer holds', unit: 'By' });
    meter.addBatchObservableCallback(
      result => {
        const stats = this._store.stats();
        result.observe(series, stats.series);
        result.observe(bytes, stats.bytes);
      },
      [series, bytes],
    );
  }

  private _selfMetricsData(resource: unknown): unknown {
    const stats = this._store.stats();
    const now = this._options.now();
    const t: [number, number] = [Math.floor(now / 1000), (now % 1000) * 1e6];
    const point = (value: number) => ({ startTime: t, endTime: t, attributes: {}, value });
    const gauge = (name: string, description: string, unit: string, value: number) => ({
      descriptor: { name, description, unit, valueType: ValueType.INT },
      aggregationTemporality: CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints: [point(value)],
    });
    return {
      resource: resource ?? this._lastResource,
      scopeMetrics: [
        {
          scope: { name: 'fastmeter', version: VERSION },
          metrics: [
            gauge('fastmeter.ring.series', 'Series held by the ring buffer', '{series}', stats.series),
            gauge('fastmeter.ring.bytes', 'Bytes allocated for the points the ring buffer holds', 'By', stats.bytes),
          ],
        },
      ],
    };
  }

  /** @internal For tests and the bench: the store. */
  get _internalStore(): RingStore {
    return this._store;
  }

  /** Parses a duration ("5m", ms) as queries do. */
  static duration(d: Duration): number {
    return parseDuration(d, 'duration');
  }
}
