// The main side's view of what the workers registered: for every shared
// instrument an ordinary instrument of the main provider (same meter scope,
// name and options), and for every shared series a bound handle into it. Views,
// temporality, cardinality limits, readers and exporters then apply unchanged.
import type { Attributes, Counter, Gauge, Histogram, MetricOptions, UpDownCounter } from '@opentelemetry/api';
import { type BoundCounter, type BoundHistogram, type FastMeterProvider, bind } from '@fastmeter/sdk';
import { readAttributes, readInstrument } from '../common/encode.js';
import {
  H_NEXT_INST,
  H_NEXT_SERIES,
  I_INFO_LEN,
  I_KEY,
  I_KEY_LEN,
  I_KIND,
  I_OVERFLOW_SID,
  I_STATE,
  INST_STRIDE,
  KIND_COUNTER,
  KIND_GAUGE,
  KIND_HISTOGRAM,
  KIND_UP_DOWN,
  S_INST,
  S_KEY,
  S_KEY_LEN,
  S_FLAG_OVERFLOW,
  S_FLAGS,
  S_OFF,
  S_STATE,
  SERIES_STRIDE,
  STATE_ABANDONED,
  STATE_READY,
  GAUGE_COPY_WORDS,
  histogramCopyWords,
} from '../common/layout.js';
import type { SharedMemory } from '../common/memory.js';
import type { Warnings } from '@fastmeter/sdk/internal';

export type Bound = BoundCounter | BoundHistogram;
const bindAny = bind as (instrument: unknown, attributes?: Attributes) => Bound;

export class MainInstrument {
  /** Bucket deltas handed to `merge` (histograms). */
  readonly scratch: Float64Array;
  readonly bounds: Float64Array;
  readonly copyWords: number;
  /** Set once `merge` was refused (a view changed the aggregation or the boundaries). */
  mergeRefused = false;

  constructor(
    readonly id: number,
    readonly kind: number,
    readonly name: string,
    readonly boundaries: number[],
    readonly api: Counter | UpDownCounter | Histogram | Gauge,
  ) {
    this.scratch = new Float64Array(boundaries.length + 1);
    this.bounds = Float64Array.from(boundaries);
    this.copyWords = kind === KIND_GAUGE ? GAUGE_COPY_WORDS : histogramCopyWords(boundaries.length);
  }
}

export class MainSeries {
  /** The handle all lanes feed (no per-thread attribute), created on first data. */
  handle: Bound | null = null;
  /** Per-lane handles (per-thread attribute), created on first data, unbound when the lane is drained. */
  laneHandles: (Bound | undefined)[] | null = null;
  // Gauges: the best candidate of this collection, and the sequence number last exported.
  candValue = 0;
  candSeq = 0;
  hasCand = false;
  lastSeq = 0;
  hasLast = false;
  /** Per-thread gauges: the sequence number last exported per lane (NaN: none). */
  laneLastSeq: Float64Array | null = null;

  constructor(
    readonly sid: number,
    readonly instrument: MainInstrument,
    /** Value-word offset of the series' block in every lane. */
    readonly off: number,
    readonly attributes: Attributes,
    /** The instrument's overflow series: it feeds the main stream's one overflow series, never a per-thread set. */
    readonly overflow: boolean,
  ) {}
}

/** Finds instruments and series registered since the last look; each is published once and never changes. */
export class Catalog {
  readonly instruments: (MainInstrument | undefined)[] = [];
  readonly sums: MainSeries[] = [];
  readonly histograms: MainSeries[] = [];
  readonly gauges: MainSeries[] = [];
  private _seenInstruments = 0;
  private _seenSeries = 0;
  private _pendingInstruments: number[] = [];
  private _pendingSeries: number[] = [];

  constructor(
    private readonly _memory: SharedMemory,
    private readonly _provider: FastMeterProvider,
    private readonly _warnings: Warnings,
  ) {}

  get seriesCount(): number {
    return this.sums.length + this.histograms.length + this.gauges.length;
  }

  discover(): void {
    const c = this._memory.control;
    const { maxInstruments, maxSeries } = this._memory.layout.config;
    const nInst = Math.min(Atomics.load(c, H_NEXT_INST), maxInstruments);
    for (; this._seenInstruments < nInst; this._seenInstruments++) this._pendingInstruments.push(this._seenInstruments);
    if (this._pendingInstruments.length > 0) this._pendingInstruments = this._pendingInstruments.filter(id => !this._tryInstrument(id));
    const nSeries = Math.min(Atomics.load(c, H_NEXT_SERIES), maxSeries);
    for (; this._seenSeries < nSeries; this._seenSeries++) this._pendingSeries.push(this._seenSeries);
    if (this._pendingSeries.length > 0) this._pendingSeries = this._pendingSeries.filter(sid => !this._trySeries(sid));
  }

  /** True when the instrument is settled (created, or abandoned by a thread that died writing it). */
  private _tryInstrument(id: number): boolean {
    const { control: c, layout, arena } = this._memory;
    const rec = layout.instRecords + id * INST_STRIDE;
    const state = Atomics.load(c, rec + I_STATE);
    if (state === STATE_ABANDONED) return true;
    if (state !== STATE_READY) return false;
    const key = c[rec + I_KEY];
    const keyLength = c[rec + I_KEY_LEN];
    const { identity, info } = readInstrument(arena.slice(key, key + keyLength + c[rec + I_INFO_LEN]), keyLength);
    const meter = this._provider.getMeter(identity.scopeName, identity.scopeVersion, identity.schemaUrl === '' ? undefined : { schemaUrl: identity.schemaUrl });
    const options: MetricOptions = { description: info.description, unit: identity.unit, valueType: identity.valueType };
    if (info.advised) options.advice = { explicitBucketBoundaries: [...info.boundaries] };
    const kind = c[rec + I_KIND];
    let api: Counter | UpDownCounter | Histogram | Gauge;
    switch (kind) {
      case KIND_COUNTER:
        api = meter.createCounter(info.name, options);
        break;
      case KIND_UP_DOWN:
        api = meter.createUpDownCounter(info.name, options);
        break;
      case KIND_HISTOGRAM:
        api = meter.createHistogram(info.name, options);
        break;
      default:
        api = meter.createGauge(info.name, options);
    }
    this.instruments[id] = new MainInstrument(id, kind, info.name, [...info.boundaries], api);
    const overflow = c[rec + I_OVERFLOW_SID];
    if (overflow >= 0) this._trySeries(overflow);
    return true;
  }

  private _trySeries(sid: number): boolean {
    const { control: c, layout, arena } = this._memory;
    const rec = layout.seriesRecords + sid * SERIES_STRIDE;
    const state = Atomics.load(c, rec + S_STATE);
    if (state === STATE_ABANDONED) return true;
    if (state !== STATE_READY) return false;
    const instrument = this.instruments[c[rec + S_INST]];
    if (instrument === undefined) return false; // an overflow series is ready just before its instrument
    const key = c[rec + S_KEY];
    const overflow = (c[rec + S_FLAGS] & S_FLAG_OVERFLOW) !== 0;
    const series = new MainSeries(sid, instrument, c[rec + S_OFF], readAttributes(arena.slice(key, key + c[rec + S_KEY_LEN])), overflow);
    if (instrument.kind === KIND_HISTOGRAM) this.histograms.push(series);
    else if (instrument.kind === KIND_GAUGE) this.gauges.push(series);
    else this.sums.push(series);
    return true;
  }

  /** The handle data of `series` from thread `threadId` goes to. */
  handleFor(series: MainSeries, lane: number, threadAttribute: string | null, threadId: number): Bound {
    if (threadAttribute === null || series.overflow || this._ownsThreadKey(series, threadAttribute)) {
      return (series.handle ??= bindAny(series.instrument.api, series.attributes));
    }
    const handles = (series.laneHandles ??= []);
    let handle = handles[lane];
    if (handle === undefined) {
      handle = bindAny(series.instrument.api, { ...series.attributes, [threadAttribute]: threadId });
      handles[lane] = handle;
    }
    return handle;
  }

  /**
   * A set that already has the threadAttribute key keeps the caller's value: it is theirs, and
   * overwriting it would merge their sets into the threads' own. Such a set is one series for all
   * threads (as without threadAttribute), with a warning naming the key.
   */
  private _ownsThreadKey(series: MainSeries, threadAttribute: string): boolean {
    if (!Object.hasOwn(series.attributes, threadAttribute)) return false;
    if (series.handle === null) {
      this._warnings.warn(
        `thread-key:${series.instrument.name}`,
        `fastmeter: "${series.instrument.name}" in a worker: the attributes already have the key "${threadAttribute}" that threadAttribute adds; their value is kept (not replaced by the thread id), so these measurements are one series for all threads. Use another key for threadAttribute to tell threads apart`,
      );
    }
    return true;
  }

  /** Releases the per-thread handles of a lane whose thread left. */
  releaseLane(lane: number): void {
    for (const list of [this.sums, this.histograms, this.gauges]) {
      for (const series of list) {
        const handle = series.laneHandles?.[lane];
        if (handle === undefined) continue;
        handle.unbind();
        (series.laneHandles as (Bound | undefined)[])[lane] = undefined;
        if (series.laneLastSeq !== null) series.laneLastSeq[lane] = Number.NaN;
      }
    }
  }
}
