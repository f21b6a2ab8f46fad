// A metric stream: what one instrument (through one view, or through the
// readers' default aggregation) produces for a group of readers. One stream
// serves all of its readers: a measurement is interned and aggregated once,
// however many readers there are. Readers differ only at collect time:
//
//   record ──► series.get(attrs) ──► cells[sid] (+ touched[sid])
//                                        │
//   collect(reader) ──► [drain] ──► cumulative state (all readers that want cumulative)
//                                 └► delta state, one per delta reader
//
// Three layouts, fixed when the stream is created:
//   CUMULATIVE_ONLY  the recording cells are the cumulative state; nothing is drained.
//   SINGLE_DELTA     the recording cells are the one delta reader's state; reset after it reads.
//   SHARED           recording cells hold the interval since the last collect by any reader;
//                    every collect drains them into each reader's state (sdk-metrics' stash/merge).
import { type Attributes, context as contextApi } from '@opentelemetry/api';
import type { AggregationSpec } from '../aggregate/aggregation.js';
import { AggregationTemporality, DataPointType, allowsNegativeValues } from '../common/enums.js';
import { DropReason, type Health } from '../common/health.js';
import type { DataPoint, InstrumentDescriptor, MetricData } from '../common/types.js';
import { millisToHrTime } from '../common/time.js';
import { type InternContext, type SeriesListener, type SeriesObserverSlot, SeriesSpace } from '../intern/series.js';
import { type Cells, createCells, nextCapacity } from '../storage/cells.js';
import { type AttributeMapping, applyProcessors } from '../view/attributes-processor.js';
import { recordSample } from '../storage/sample.js';
import type { SumCells } from '../storage/sum-cells.js';
import { StreamSnapshot, gather, snapshotPoints } from './snapshot.js';

export const Layout = { CUMULATIVE_ONLY: 0, SINGLE_DELTA: 1, SHARED: 2 } as const;
export type Layout = (typeof Layout)[keyof typeof Layout];

export interface ReaderBinding {
  readonly readerIndex: number;
  readonly temporality: AggregationTemporality;
}

class CumulativeState {
  exists = new Uint8Array(0);
  startMs = new Float64Array(0);
  constructor(readonly cells: Cells) {}
}

/** In SINGLE_DELTA the stream's own touched/firstMs arrays serve as pending/pendingStartMs. */
class DeltaState {
  pending = new Uint8Array(0);
  pendingStartMs = new Float64Array(0);
  /** 1 where the series was in this reader's previous collection (its start time is then that collection). */
  reported = new Uint8Array(0);
  lastCollectionMs = -1;
  constructor(readonly cells: Cells) {}
}

export class MetricStream implements SeriesListener {
  descriptor: InstrumentDescriptor;
  readonly spec: AggregationSpec;
  readonly layout: Layout;
  readonly series: SeriesSpace;
  /** The cells measurements are recorded into. */
  readonly cells: Cells;
  /** 1 for series measured since the last drain/reset. */
  touched = new Uint8Array(0);
  /** Scratch of a collection: the exported series and their start times (see _take). */
  private _sids = new Int32Array(0);
  private _starts = new Float64Array(0);
  /** Time of the first measurement of each series since the last drain/reset (not kept in CUMULATIVE_ONLY). */
  firstMs = new Float64Array(0);
  /** Observable streams: the clock of the observation being applied, else undefined (use Date.now()). */
  observationMs: number | undefined = undefined;
  /** Observable sums: the last observed total of each series. */
  private _memo: Float64Array | null = null;
  private _hasMemo: Uint8Array | null = null;
  private readonly _cumulative: CumulativeState | null;
  private readonly _deltas: DeltaState[];
  /** readerIndex -> that reader's state. */
  private readonly _stateOf: (CumulativeState | DeltaState | undefined)[] = [];
  private readonly _isAsync: boolean;
  /** Observable streams with a histogram aggregation: readers take the latest observation, not a sum of them. */
  private readonly _replaces: boolean;
  /** Cumulative eviction: collections each live series has gone without a measurement (null when off). */
  private _idle: Uint16Array | null = null;
  private readonly _evictAfter: number;
  private readonly _health: Health;
  private readonly _observers: readonly SeriesObserverSlot[];

  constructor(
    descriptor: InstrumentDescriptor,
    spec: AggregationSpec,
    readonly bindings: readonly ReaderBinding[],
    limit: number,
    isAsync: boolean,
    ctx: InternContext,
    /** How a view maps attributes before interning. */
    readonly mapping: AttributeMapping = { kind: 'none' },
    /** Evict cumulative series that saw no measurement for this many collections; 0 keeps them. */
    evictIdleCollections = 0,
  ) {
    this.descriptor = descriptor;
    this.spec = spec;
    this._isAsync = isAsync;
    this._health = ctx.health;
    this._observers = ctx.seriesObservers ?? [];
    const cumulativeReaders = bindings.filter(b => b.temporality === AggregationTemporality.CUMULATIVE);
    const deltaReaders = bindings.filter(b => b.temporality !== AggregationTemporality.CUMULATIVE);
    this.layout =
      deltaReaders.length === 0 ? Layout.CUMULATIVE_ONLY : cumulativeReaders.length === 0 && deltaReaders.length === 1 ? Layout.SINGLE_DELTA : Layout.SHARED;
    const newCells = () => createCells(spec, allowsNegativeValues(descriptor.type), isAsync);
    this.cells = newCells();
    this._cumulative = cumulativeReaders.length > 0 ? new CumulativeState(this.layout === Layout.CUMULATIVE_ONLY ? this.cells : newCells()) : null;
    this._deltas = deltaReaders.map(() => new DeltaState(this.layout === Layout.SINGLE_DELTA ? this.cells : newCells()));
    for (const b of cumulativeReaders) this._stateOf[b.readerIndex] = this._cumulative as CumulativeState;
    deltaReaders.forEach((b, i) => {
      this._stateOf[b.readerIndex] = this._deltas[i];
    });
    if (isAsync && spec.kind === 'sum') {
      this._memo = new Float64Array(0);
      this._hasMemo = new Uint8Array(0);
    }
    this._replaces = isAsync && (spec.kind === 'histogram' || spec.kind === 'exponential');
    this._evictAfter = this._cumulative !== null ? Math.max(0, Math.floor(evictIdleCollections)) : 0;
    if (this._evictAfter > 0) this._idle = new Uint16Array(0);
    this.series = new SeriesSpace(limit, descriptor.name, ctx, this, mapping.kind === 'filter' ? mapping.keep : null);
  }

  servesReader(readerIndex: number): boolean {
    return this._stateOf[readerIndex] !== undefined;
  }

  /** Replaces the description (a duplicate instrument registration with a longer one). */
  updateDescription(description: string): void {
    const d = this.descriptor;
    this.descriptor = { name: d.name, type: d.type, description, unit: d.unit, valueType: d.valueType, advice: d.advice };
  }

  onSeriesCreated(sid: number, keys: readonly string[], values: readonly unknown[]): void {
    const n = this.series.highWater;
    if (n > this.touched.length) this._grow(n);
    this.cells.clear(sid);
    this.touched[sid] = 0;
    if (this.layout === Layout.CUMULATIVE_ONLY) {
      const cum = this._cumulative as CumulativeState;
      cum.exists[sid] = 1;
      cum.startMs[sid] = this.now();
    }
    if (this._hasMemo !== null) this._hasMemo[sid] = 0;
    if (this._idle !== null) this._idle[sid] = 0;
    if (this._observers.length > 0) this._tellObservers(sid, keys, values);
  }

  private _tellObservers(sid: number, keys: readonly string[], values: readonly unknown[]): void {
    for (const slot of this._observers) {
      if (this._stateOf[slot.readerIndex] === undefined) continue;
      try {
        slot.observe(this, sid, keys, values);
      } catch (err) {
        this._health.warn('series-observer', `fastmeter: a series observer threw (${(err as Error)?.message ?? String(err)}); the series is recorded`);
      }
    }
  }

  now(): number {
    return this.observationMs ?? Date.now();
  }

  /** First measurement of `sid` since the last drain: remember when (delta start times need it). */
  firstTouch(sid: number): void {
    this.touched[sid] = 1;
    this.firstMs[sid] = this.now();
  }

  private _grow(n: number): void {
    const cap = nextCapacity(this.touched.length, n);
    this.cells.grow(cap);
    this.touched = growU8(this.touched, cap);
    if (this.layout !== Layout.CUMULATIVE_ONLY) this.firstMs = growF64(this.firstMs, cap);
    const cum = this._cumulative;
    if (cum !== null) {
      if (cum.cells !== this.cells) cum.cells.grow(cap);
      cum.exists = growU8(cum.exists, cap);
      cum.startMs = growF64(cum.startMs, cap);
    }
    for (const d of this._deltas) {
      d.reported = growU8(d.reported, cap);
      if (this.layout === Layout.SINGLE_DELTA) continue;
      d.cells.grow(cap);
      d.pending = growU8(d.pending, cap);
      d.pendingStartMs = growF64(d.pendingStartMs, cap);
    }
    if (this._memo !== null) {
      this._memo = growF64(this._memo, cap);
      this._hasMemo = growU8(this._hasMemo as Uint8Array, cap);
    }
    if (this._idle !== null) {
      const idle = new Uint16Array(cap);
      idle.set(this._idle);
      this._idle = idle;
    }
  }

  // ---- observable instruments --------------------------------------------------

  /**
   * Applies one callback's observations of this stream's instrument (at
   * `observationMs`). Observations that land on one series (a set observed
   * twice, or sets a view's attribute filter merges) count once: the last value
   * wins, in the position of the first, as in sdk-metrics' observation buffer.
   * Applying each would make a monotonic total that goes down look like a reset.
   */
  observeAll(values: readonly number[], attributes: readonly (Attributes | undefined)[]): void {
    if (values.length === 1) {
      const sid = this._observedSeries(values[0], attributes[0]);
      if (sid >= 0) this._observe(sid, values[0]);
      return;
    }
    const order: number[] = [];
    const last = new Map<number, number>();
    for (let i = 0; i < values.length; i++) {
      const sid = this._observedSeries(values[i], attributes[i]);
      if (sid < 0) continue;
      if (!last.has(sid)) order.push(sid);
      last.set(sid, values[i]);
    }
    for (const sid of order) this._observe(sid, last.get(sid) as number);
  }

  /** The series an observation goes to, or -1 when it is dropped. */
  private _observedSeries(value: number, attributes: Attributes | undefined): number {
    if (value < 0 && this.spec.kind === 'sum' && this.spec.monotonic) {
      // Checked before interning, so a dropped observation creates no series.
      // sdk-metrics records 0 here and reports a reset (test/conformance/DIFFERENCES.md).
      this._health.drop(DropReason.NEGATIVE, this.descriptor.name, `an observable counter total must not be negative, got ${value}`);
      return -1;
    }
    if (this.mapping.kind === 'dynamic') {
      try {
        attributes = applyProcessors(this.mapping.processors, attributes ?? {}, contextApi.active());
      } catch (err) {
        this.series.reportProcessorError(err);
        return -1;
      }
    }
    return this.series.get(attributes);
  }

  private _observe(sid: number, value: number): void {
    switch (this.spec.kind) {
      case 'sum':
        this._observeSum(sid, value);
        return;
      case 'lastValue':
        if (this.touched[sid] === 0) this.firstTouch(sid);
        (this.cells as unknown as { values: Float64Array }).values[sid] = value;
        return;
      default:
        // A view put a histogram on an observable instrument: the series holds the
        // current observation as one sample, replaced by each collection's callback.
        if (this.touched[sid] === 0) this.firstTouch(sid);
        this.cells.clear(sid);
        recordSample(this.cells, sid, value);
    }
  }

  /** Observable sums report totals; streams store the change since the previous observation. */
  private _observeSum(sid: number, total: number): void {
    const memo = this._memo as Float64Array;
    const hasMemo = this._hasMemo as Uint8Array;
    const cells = this.cells as SumCells;
    const monotonic = this.spec.kind === 'sum' && this.spec.monotonic;
    let delta = total;
    let reset = false;
    if (hasMemo[sid] === 1) {
      if (monotonic && memo[sid] > total) reset = true;
      else delta = total - memo[sid];
    }
    memo[sid] = total;
    hasMemo[sid] = 1;
    if (reset) {
      // The total went down: a new cumulative sequence starts now, as in sdk-metrics.
      cells.values[sid] = total;
      this.touched[sid] = 1;
      if (this.layout === Layout.CUMULATIVE_ONLY) {
        (this._cumulative as CumulativeState).startMs[sid] = this.now();
      } else {
        this.firstMs[sid] = this.now();
        if (cells.resets !== null) cells.resets[sid] = 1;
      }
      return;
    }
    if (this.touched[sid] === 0) this.firstTouch(sid);
    cells.values[sid] += delta;
  }

  // ---- collection --------------------------------------------------------------

  /** The MetricData for one reader's collection, or undefined when it has no points. */
  collect(readerIndex: number, collectionMs: number, endTime: [number, number]): MetricData | undefined {
    const take = this._take(readerIndex, collectionMs);
    if (take === undefined) return undefined;
    // Read straight from the reader's cells (collect is synchronous), then reset delta slots.
    const { cells, count } = take;
    const sids = this._sids;
    const starts = this._starts;
    const attributes = this.series.materialize();
    const points = new Array<DataPoint<unknown>>(count);
    for (let i = 0; i < count; i++) {
      const sid = sids[i];
      points[i] = { attributes: attributes[sid] as Attributes, startTime: millisToHrTime(starts[i]), endTime, value: cells.value(sid) };
    }
    if (take.temporality === AggregationTemporality.DELTA) for (let i = 0; i < count; i++) cells.clear(sids[i]);
    return this._metricData(take.temporality, points);
  }

  /**
   * One reader's collection as columns (see snapshot.ts): the values are
   * copied out, so the snapshot stays consistent while it is serialised
   * later. Undefined when there are no points. Does the collection's
   * bookkeeping, so it replaces collect() for that reader: delta state is
   * consumed exactly once, by either.
   */
  snapshot(readerIndex: number, collectionMs: number): StreamSnapshot | undefined {
    const take = this._take(readerIndex, collectionMs);
    if (take === undefined) return undefined;
    const { cells, count } = take;
    const sids = this._sids.slice(0, count);
    const values = gather(cells, sids, count);
    if (take.temporality === AggregationTemporality.DELTA) for (let i = 0; i < count; i++) cells.clear(sids[i]);
    return new StreamSnapshot(take.temporality, count, sids, this._starts.slice(0, count), values);
  }

  /**
   * A collection's bookkeeping for one reader (drain, eviction, delta reset,
   * reclaim): the exported series and their start times go to `_sids` and
   * `_starts` (scratch, reused), their values stay in the returned cells.
   */
  private _take(readerIndex: number, collectionMs: number): { temporality: AggregationTemporality; cells: Cells; count: number } | undefined {
    const state = this._stateOf[readerIndex];
    if (state === undefined) return undefined;
    if (this.layout === Layout.SHARED) this._drain();
    else if (this._idle !== null) this._age(this.touched, true);
    if (this._idle !== null) this._evict();
    const n = this.series.highWater;
    if (this._sids.length < n) {
      this._sids = new Int32Array(nextCapacity(this._sids.length, n));
      this._starts = new Float64Array(this._sids.length);
    }
    const sids = this._sids;
    const starts = this._starts;
    let count = 0;
    if (state instanceof CumulativeState) {
      for (let sid = 0; sid < n; sid++) {
        if (state.exists[sid] === 0 || !this.series.isLive(sid)) continue;
        sids[count] = sid;
        starts[count++] = state.startMs[sid];
      }
      return count === 0 ? undefined : { temporality: AggregationTemporality.CUMULATIVE, cells: state.cells, count };
    }
    const single = this.layout === Layout.SINGLE_DELTA;
    const pending = single ? this.touched : state.pending;
    const pendingStartMs = single ? this.firstMs : state.pendingStartMs;
    for (let sid = 0; sid < n; sid++) {
      if (pending[sid] === 0) {
        state.reported[sid] = 0;
        continue;
      }
      sids[count] = sid;
      starts[count++] = state.reported[sid] === 1 ? state.lastCollectionMs : pendingStartMs[sid];
      pending[sid] = 0;
      state.reported[sid] = 1;
    }
    state.lastCollectionMs = collectionMs;
    // Reclaims only series this collection does not export: their values are still to be read.
    if (this._cumulative === null && !this._isAsync) this._reclaim();
    return count === 0 ? undefined : { temporality: AggregationTemporality.DELTA, cells: state.cells, count };
  }

  /** sdk-metrics' MetricData for a snapshot; `attributes` is indexed by series id (SeriesSpace.materialize). */
  toMetricData(snapshot: StreamSnapshot, attributes: readonly (Attributes | undefined)[], endTime: [number, number]): MetricData {
    return this._metricData(snapshot.temporality, snapshotPoints(snapshot, attributes, endTime));
  }

  /** SHARED layout: moves the interval's measurements into every reader's state. */
  private _drain(): void {
    const n = this.series.highWater;
    const touched = this.touched;
    const cum = this._cumulative;
    if (this._idle !== null) this._age(touched, false);
    for (let sid = 0; sid < n; sid++) {
      if (touched[sid] === 0) continue;
      const first = this.firstMs[sid];
      if (cum !== null) {
        if (this._replaces) cum.cells.clear(sid);
        const replaced = cum.cells.mergeFrom(this.cells, sid);
        if (cum.exists[sid] === 0 || replaced) cum.startMs[sid] = first;
        cum.exists[sid] = 1;
      }
      for (const d of this._deltas) {
        if (this._replaces) d.cells.clear(sid);
        const replaced = d.cells.mergeFrom(this.cells, sid);
        if (d.pending[sid] === 0 || replaced) d.pendingStartMs[sid] = first;
        d.pending[sid] = 1;
      }
      this.cells.clear(sid);
      touched[sid] = 0;
    }
  }

  /** Eviction bookkeeping at each collection: a measured series is fresh again, the others age by one. */
  private _age(touched: Uint8Array, consume: boolean): void {
    const idle = this._idle as Uint16Array;
    const n = this.series.highWater;
    for (let sid = 0; sid < n; sid++) {
      if (touched[sid] === 1) {
        idle[sid] = 0;
        if (consume) touched[sid] = 0;
      } else if (idle[sid] < 0xffff) {
        idle[sid]++;
      }
    }
  }

  /**
   * Cumulative eviction (opt-in): series that went `evictIdleCollections`
   * collections without a measurement leave the export. One that returns is a
   * new series with a new start time. Pinned series and series with data no
   * delta reader has collected yet are kept.
   */
  private _evict(): void {
    const idle = this._idle as Uint16Array;
    const n = this.series.highWater;
    const dead: number[] = [];
    for (let sid = 0; sid < n; sid++) {
      if (idle[sid] < this._evictAfter || !this.series.isLive(sid) || this.series.isPinned(sid)) continue;
      if (this._deltas.some(d => d.pending[sid] === 1)) continue;
      dead.push(sid);
    }
    if (dead.length > 0) this._release(dead, 'evicted');
  }

  /** Removes one series now (removeSeries()): its data leaves every reader. False when a bound handle holds it. */
  remove(sid: number): boolean {
    if (!this.series.isLive(sid) || this.series.isPinned(sid)) return false;
    this._release([sid], 'removed');
    return true;
  }

  private _release(dead: readonly number[], reason: 'reclaimed' | 'evicted' | 'removed'): void {
    const isDead = new Uint8Array(this.series.highWater);
    const cum = this._cumulative;
    for (const sid of dead) {
      isDead[sid] = 1;
      this.cells.clear(sid);
      this.touched[sid] = 0;
      if (cum !== null) {
        cum.exists[sid] = 0;
        if (cum.cells !== this.cells) cum.cells.clear(sid);
      }
      for (const d of this._deltas) {
        d.reported[sid] = 0;
        if (this.layout !== Layout.SINGLE_DELTA) {
          d.pending[sid] = 0;
          d.cells.clear(sid);
        }
      }
      if (this._idle !== null) this._idle[sid] = 0;
    }
    this.series.release(sid => isDead[sid] === 1, dead, reason);
  }

  /** Delta-only streams: series that saw no measurement in the last interval give their id back. */
  private _reclaim(): void {
    const n = this.series.highWater;
    const dead: number[] = [];
    for (let sid = 0; sid < n; sid++) {
      if (!this.series.isLive(sid) || this.touched[sid] === 1 || this.series.isPinned(sid)) continue;
      let idle = true;
      for (const d of this._deltas) {
        if ((this.layout !== Layout.SINGLE_DELTA && d.pending[sid] === 1) || d.reported[sid] === 1) {
          idle = false;
          break;
        }
      }
      if (idle) dead.push(sid);
    }
    if (dead.length > 0) this._release(dead, 'reclaimed');
  }

  private _metricData(aggregationTemporality: AggregationTemporality, dataPoints: DataPoint<unknown>[]): MetricData {
    const descriptor = this.descriptor;
    switch (this.spec.kind) {
      case 'sum':
        return { descriptor, aggregationTemporality, dataPointType: DataPointType.SUM, dataPoints, isMonotonic: this.spec.monotonic } as MetricData;
      case 'lastValue':
        return { descriptor, aggregationTemporality, dataPointType: DataPointType.GAUGE, dataPoints } as MetricData;
      case 'histogram':
        return { descriptor, aggregationTemporality, dataPointType: DataPointType.HISTOGRAM, dataPoints } as MetricData;
      default:
        return { descriptor, aggregationTemporality, dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM, dataPoints } as MetricData;
    }
  }
}

function growU8(a: Uint8Array, cap: number): Uint8Array<ArrayBuffer> {
  const next = new Uint8Array(cap);
  next.set(a);
  return next;
}
function growF64(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(cap);
  next.set(a);
  return next;
}
