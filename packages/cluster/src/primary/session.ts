// One worker's session, on the primary: the worker's instrument and series ids
// mapped to ordinary instruments of the primary's provider and bound handles
// into them (as @fastmeter/workers does for threads). A sync message is decoded
// and applied as it arrives:
//
//   sums        handle.add(delta)        counters and up-down counters of all workers add up
//   gauges      handle.record(value)     the last value applied wins
//   histograms  handle.merge(delta)      count, sum, buckets add; min/max combine
//
// Views, temporality, cardinality limits and every reader of the primary then
// apply unchanged, and the workers' data merges with the primary's own
// measurements of the same instrument and attributes.
import type { Attributes, Counter, Gauge, Histogram, MetricOptions, UpDownCounter } from '@opentelemetry/api';
import { type BoundCounter, type BoundHistogram, type FastMeterProvider, bind } from '@fastmeter/sdk';
import { DropCause, Kind } from '../protocol/messages.js';
import { StringList, readAttributes } from '../protocol/sync.js';
import { ProtocolError, Reader } from '../protocol/wire.js';

type Bound = BoundCounter | BoundHistogram;
const bindAny = bind as (instrument: unknown, attributes?: Attributes) => Bound;

/** A primary instrument that workers' instruments of the same identity share. */
export class PrimaryInstrument {
  readonly scratch: Float64Array;
  readonly delta: { boundaries: readonly number[]; counts: Float64Array; count: number; sum: number; min: number; max: number };
  refusedWarned = false;

  constructor(
    readonly kind: Kind,
    readonly name: string,
    readonly boundaries: readonly number[],
    readonly api: Counter | UpDownCounter | Gauge | Histogram,
  ) {
    this.scratch = new Float64Array(boundaries.length + 1);
    this.delta = { boundaries, counts: this.scratch, count: 0, sum: 0, min: 0, max: 0 };
  }
}

/** What all sessions share: the provider, the options, the counters. */
export interface PrimaryContext {
  readonly provider: FastMeterProvider;
  /** Added to every series of a worker when per-worker series are asked for. */
  readonly workerAttribute: { readonly key: string; readonly value: 'pid' | 'id' } | null;
  readonly maxSeries: number;
  readonly maxInstruments: number;
  readonly instruments: Map<string, PrimaryInstrument>;
  drop(cause: DropCause, n: number): void;
  warn(key: string, message: string): void;
  seriesDelta(n: number): void;
}

export interface WorkerRef {
  readonly id: number;
  readonly pid: number;
}

export class Session {
  lastSeq = 0;
  syncs = 0;
  bytes = 0;
  lastSyncMs: number;
  /** The newest flush request this session answered. */
  answered = 0;
  series = 0;
  private readonly _strings = new StringList();
  private readonly _instruments: (PrimaryInstrument | null)[] = [];
  private readonly _handles: (Bound | undefined)[] = [];
  private readonly _kinds: (PrimaryInstrument | undefined)[] = [];
  /** With per-worker series: the attributes each live handle was bound with (removed once the worker is gone). */
  private readonly _attrs: (Attributes | undefined)[] | null;
  private readonly _extra: Attributes | null;

  constructor(
    readonly worker: WorkerRef,
    readonly id: number,
    readonly binary: boolean,
    private readonly _ctx: PrimaryContext,
  ) {
    this.lastSyncMs = Date.now();
    const wa = _ctx.workerAttribute;
    this._extra = wa === null ? null : { [wa.key]: wa.value === 'pid' ? worker.pid : worker.id };
    this._attrs = wa === null ? null : [];
  }

  /** Decodes one sync body and applies it. Throws ProtocolError on a malformed body (what was applied before stays). */
  apply(bytes: Uint8Array): void {
    const r = new Reader(bytes);
    for (let x = r.uvar(); x !== 0; x = r.uvar()) this._forget(x - 1);
    for (let x = r.uvar(); x !== 0; x = r.uvar()) this._defineInstrument(r, x - 1);
    for (let x = r.uvar(); x !== 0; x = r.uvar()) {
      const iid = r.uvar();
      this._defineSeries(x - 1, iid, readAttributes(r, this._strings));
    }
    const handles = this._handles;
    let dropped = 0;
    let sid = -1;
    for (let gap = r.uvar(); gap !== 0; gap = r.uvar()) {
      sid += gap;
      const value = r.num();
      const handle = handles[sid] as BoundCounter | undefined;
      if (handle !== undefined) handle.add(value);
      else dropped++;
    }
    sid = -1;
    for (let gap = r.uvar(); gap !== 0; gap = r.uvar()) {
      sid += gap;
      const value = r.num();
      const handle = handles[sid] as BoundHistogram | undefined;
      if (handle !== undefined) handle.record(value);
      else dropped++;
    }
    sid = -1;
    for (let gap = r.uvar(); gap !== 0; gap = r.uvar()) {
      sid += gap;
      if (!this._mergeHistogram(r, sid)) dropped++;
    }
    if (!r.done) throw new ProtocolError(`${bytes.length - r.pos} bytes after the end of the sync`);
    if (dropped > 0) this._ctx.drop(DropCause.SERIES_LIMIT, dropped);
  }

  private _mergeHistogram(r: Reader, sid: number): boolean {
    const count = r.uvar();
    const sum = r.num();
    const min = r.num();
    const max = r.num();
    const inst = this._kinds[sid];
    const handle = this._handles[sid] as BoundHistogram | undefined;
    const scratch = inst?.scratch;
    if (scratch !== undefined) scratch.fill(0);
    for (let i = -1, gap = r.uvar(); gap !== 0; gap = r.uvar()) {
      i += gap;
      const c = r.uvar();
      if (scratch === undefined) continue;
      if (i >= scratch.length) throw new ProtocolError(`bucket ${i} of a histogram with ${scratch.length} buckets`);
      scratch[i] = c;
    }
    if (inst === undefined || handle === undefined) return false;
    const delta = inst.delta;
    delta.count = count;
    delta.sum = sum;
    delta.min = min;
    delta.max = max;
    if (!handle.merge(delta)) {
      this._ctx.drop(DropCause.REFUSED, count);
      if (!inst.refusedWarned) {
        inst.refusedWarned = true;
        this._ctx.warn(
          `refused:${inst.name}`,
          `fastmeter cluster: workers' histogram "${inst.name}" is not exported by a primary stream whose aggregation is not an explicit-bucket histogram with boundaries [${inst.boundaries.join(', ')}] (a view in the primary changed it, or another instrument of that name came first)`,
        );
      }
    }
    return true;
  }

  private _defineInstrument(r: Reader, iid: number): void {
    const s = this._strings;
    const scopeName = s.read(r);
    const scopeVersion = s.read(r);
    const schemaUrl = s.read(r);
    const name = s.read(r);
    const description = s.read(r);
    const unit = s.read(r);
    const kind = r.u8() as Kind;
    const valueType = r.u8();
    const nBounds = r.uvar();
    if (nBounds > (r.bytes.length - r.pos) / 8) throw new ProtocolError('more boundaries than bytes');
    const boundaries: number[] = [];
    for (let i = 0; i < nBounds; i++) boundaries.push(r.f64());
    if (kind > Kind.HISTOGRAM) throw new ProtocolError(`unknown instrument kind ${kind}`);
    if (iid >= this._ctx.maxInstruments) {
      this._ctx.warn(
        'instrument-limit',
        `fastmeter cluster: a worker sent more than ${this._ctx.maxInstruments} instruments (maxInstrumentsPerWorker); "${name}" is ignored`,
      );
      return;
    }
    const key = [scopeName, scopeVersion, schemaUrl, name, kind, unit, valueType, boundaries.join(',')].join('\u0000');
    let inst = this._ctx.instruments.get(key);
    if (inst === undefined) {
      const meter = this._ctx.provider.getMeter(scopeName, scopeVersion, schemaUrl === '' ? undefined : { schemaUrl });
      const options: MetricOptions = { description, unit, valueType };
      if (kind === Kind.HISTOGRAM) options.advice = { explicitBucketBoundaries: boundaries };
      const api =
        kind === Kind.COUNTER
          ? meter.createCounter(name, options)
          : kind === Kind.UP_DOWN_COUNTER
            ? meter.createUpDownCounter(name, options)
            : kind === Kind.GAUGE
              ? meter.createGauge(name, options)
              : meter.createHistogram(name, options);
      inst = new PrimaryInstrument(kind, name, boundaries, api);
      this._ctx.instruments.set(key, inst);
    }
    this._instruments[iid] = inst;
  }

  private _defineSeries(sid: number, iid: number, attributes: Attributes): void {
    if (sid >= this._ctx.maxSeries) {
      this._ctx.warn('series-limit', `fastmeter cluster: a worker sent more than ${this._ctx.maxSeries} series (maxSeriesPerWorker); their values are dropped`);
      return;
    }
    const inst = this._instruments[iid];
    if (inst === undefined || inst === null) return; // past maxInstruments: its values count as dropped
    this._forget(sid);
    const attrs = this._extra === null ? attributes : { ...attributes, ...this._extra };
    this._handles[sid] = bindAny(inst.api, attrs);
    this._kinds[sid] = inst;
    if (this._attrs !== null) this._attrs[sid] = attrs;
    this.series++;
    this._ctx.seriesDelta(1);
  }

  private _forget(sid: number): void {
    const handle = this._handles[sid];
    if (handle === undefined) return;
    handle.unbind();
    this._handles[sid] = undefined;
    this._kinds[sid] = undefined;
    if (this._attrs !== null) this._attrs[sid] = undefined;
    this.series--;
    this._ctx.seriesDelta(-1);
  }

  /** Unbinds every handle. Returns the per-worker series (instrument, attributes) it held, to remove later; empty without them. */
  close(): (readonly [PrimaryInstrument, Attributes])[] {
    const held: (readonly [PrimaryInstrument, Attributes])[] = [];
    for (let sid = 0; sid < this._handles.length; sid++) {
      const inst = this._kinds[sid];
      const attrs = this._attrs?.[sid];
      if (inst !== undefined && attrs !== undefined) held.push([inst, attrs]);
      this._forget(sid);
    }
    return held;
  }
}
