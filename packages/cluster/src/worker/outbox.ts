// The worker's side of a session: what the primary knows (instruments, series
// ids and their attributes) and what it has not received yet (values since the
// last sync message).
//
//   collection (delta) ──► absorb(): attributes ──trie──► sid ──► pending[sid] (+= / last / merge)
//                                                                     │
//   sync message       ◄── encode(): forgets, new definitions, dirty sids' values ◄┘ (then cleared)
//
// Collections that cannot be sent yet (no welcome, or too many bytes still
// queued in the channel) coalesce into `pending`: sums add, gauges keep the
// last value, histograms merge. The backlog is therefore bounded by the number
// of series, not by time; only the definitions of new series grow it, and they
// are refused (dropped, counted) past `maxQueueBytes`.
import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type MetricData, type ResourceMetrics, type ScopeMetrics } from '@fastmeter/sdk';
import { AttributeTrie } from '@fastmeter/sdk/internal';
import { DropCause, Kind } from '../protocol/messages.js';
import { StringTable, writeAttributes } from '../protocol/sync.js';
import type { Writer } from '../protocol/wire.js';

const OVERFLOW_KEYS: readonly string[] = ['otel.metric.overflow'];
const OVERFLOW_VALUES: readonly unknown[] = [true];
/** Histogram pending block: count, sum, min, max, then one count per bucket. */
const H_COUNT = 0;
const H_SUM = 1;
const H_MIN = 2;
const H_MAX = 3;
const H_BUCKETS = 4;

export class WorkerInstrument {
  readonly trie = new AttributeTrie();
  /** Sent to the primary in the current session. */
  defined = false;
  overflowSid = -1;

  constructor(
    readonly iid: number,
    readonly kind: Kind,
    readonly scope: { readonly name: string; readonly version: string; readonly schemaUrl: string },
    readonly name: string,
    readonly description: string,
    readonly unit: string,
    readonly valueType: number,
    readonly boundaries: readonly number[],
  ) {}
}

export interface OutboxLimits {
  maxSeries: number;
  maxInstruments: number;
  maxQueueBytes: number;
  /** Collections without data after which a series' id is released (the primary forgets it). */
  releaseAfter: number;
}

export interface EncodeResult {
  /** Series with values in the message. */
  values: number;
  /** Series and instruments defined by the message. */
  definitions: number;
}

export class Outbox {
  readonly instruments: WorkerInstrument[] = [];
  private readonly _byDescriptor = new WeakMap<object, WorkerInstrument | null>();
  private readonly _byKey = new Map<string, WorkerInstrument>();
  private _strings = new StringTable();
  // Per series id:
  private _inst = new Int32Array(0);
  private _defined = new Uint8Array(0);
  private _dirty = new Uint8Array(0);
  private _idle = new Uint16Array(0);
  private _value = new Float64Array(0);
  private _hist: (Float64Array | null)[] = [];
  private _keys: (readonly string[] | null)[] = [];
  private _values: (readonly unknown[] | null)[] = [];
  private _highWater = 0;
  private readonly _free: number[] = [];
  private _forgets: number[] = [];
  /** Live series (overflow series included). */
  series = 0;
  /** Estimated bytes of definitions not sent yet. */
  pendingDefinitionBytes = 0;
  /** Bytes handed to the channel and not written yet (kept by the ClusterWorker). */
  inFlightBytes = 0;
  /** Drops since the last sync message, by cause. */
  drops: Partial<Record<DropCause, number>> = {};
  /** Lifetime counters (stats()). */
  readonly totals = { dropped: 0, overflowed: 0, released: 0 };
  private _dirtyCount = 0;

  constructor(
    private readonly _limits: OutboxLimits,
    private readonly _warn: (key: string, message: string) => void,
  ) {}

  get hasData(): boolean {
    return this._dirtyCount > 0 || this._forgets.length > 0;
  }

  // ---- absorbing a collection -------------------------------------------------------------

  absorb(resourceMetrics: ResourceMetrics): void {
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      for (const metric of scopeMetrics.metrics) this._absorbMetric(scopeMetrics, metric);
    }
    this._age();
  }

  private _absorbMetric(scopeMetrics: ScopeMetrics, metric: MetricData): void {
    const inst = this._instrumentFor(scopeMetrics, metric);
    if (inst === null) {
      this._drop(
        metric.dataPoints.length > 0 && metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM ? DropCause.UNSUPPORTED : DropCause.INSTRUMENT_LIMIT,
        metric.dataPoints.length,
      );
      return;
    }
    const points = metric.dataPoints as { attributes: Attributes; value: unknown }[];
    for (let i = 0; i < points.length; i++) {
      const point = points[i];
      const sid = this._seriesFor(inst, point.attributes);
      if (sid < 0) {
        this._drop(DropCause.QUEUE_FULL, 1);
        continue;
      }
      this._idle[sid] = 0;
      switch (inst.kind) {
        case Kind.GAUGE:
          this._value[sid] = point.value as number;
          this._markDirty(sid);
          break;
        case Kind.HISTOGRAM:
          this._mergeHistogram(sid, inst, point.value as HistogramValue);
          break;
        default:
          this._value[sid] += point.value as number;
          this._markDirty(sid);
      }
    }
  }

  private _markDirty(sid: number): void {
    if (this._dirty[sid] === 0) {
      this._dirty[sid] = 1;
      this._dirtyCount++;
    }
  }

  private _mergeHistogram(sid: number, inst: WorkerInstrument, h: HistogramValue): void {
    const counts = h.buckets.counts;
    if (!(h.count > 0) || counts.length !== inst.boundaries.length + 1) return;
    let block = this._hist[sid];
    if (block === null || block === undefined) {
      block = new Float64Array(H_BUCKETS + counts.length);
      block[H_MIN] = Number.POSITIVE_INFINITY;
      block[H_MAX] = Number.NEGATIVE_INFINITY;
      this._hist[sid] = block;
    }
    block[H_COUNT] += h.count;
    block[H_SUM] += h.sum ?? 0;
    if (h.min !== undefined && h.min < block[H_MIN]) block[H_MIN] = h.min;
    if (h.max !== undefined && h.max > block[H_MAX]) block[H_MAX] = h.max;
    for (let i = 0; i < counts.length; i++) block[H_BUCKETS + i] += counts[i];
    this._markDirty(sid);
  }

  private _drop(cause: DropCause, n: number): void {
    if (n <= 0) return;
    this.drops[cause] = (this.drops[cause] ?? 0) + n;
    this.totals.dropped += n;
  }

  private _instrumentFor(scopeMetrics: ScopeMetrics, metric: MetricData): WorkerInstrument | null {
    const cached = this._byDescriptor.get(metric.descriptor);
    if (cached !== undefined) return cached;
    let kind: Kind;
    let boundaries: readonly number[] = [];
    switch (metric.dataPointType) {
      case DataPointType.SUM:
        kind = metric.isMonotonic ? Kind.COUNTER : Kind.UP_DOWN_COUNTER;
        break;
      case DataPointType.GAUGE:
        kind = Kind.GAUGE;
        break;
      case DataPointType.HISTOGRAM: {
        kind = Kind.HISTOGRAM;
        const first = metric.dataPoints[0];
        if (first === undefined) return null; // not cached: the next collection has points
        boundaries = [...first.value.buckets.boundaries];
        break;
      }
      default:
        this._warn(
          `unsupported:${metric.descriptor.name}`,
          `fastmeter cluster: "${metric.descriptor.name}" has an exponential histogram aggregation, which the primary cannot merge yet; its data stays in this worker (use explicit buckets for clustered histograms)`,
        );
        this._byDescriptor.set(metric.descriptor, null);
        return null;
    }
    const scope = { name: scopeMetrics.scope.name, version: scopeMetrics.scope.version ?? '', schemaUrl: scopeMetrics.scope.schemaUrl ?? '' };
    const d = metric.descriptor;
    const key = [scope.name, scope.version, scope.schemaUrl, d.name, kind, d.unit, d.valueType, boundaries.join(',')].join('\u0000');
    let inst = this._byKey.get(key) ?? null;
    if (inst === null) {
      if (this.instruments.length >= this._limits.maxInstruments) {
        this._warn(
          'instrument-limit',
          `fastmeter cluster: more than ${this._limits.maxInstruments} instruments (maxInstruments); "${d.name}" is not sent to the primary`,
        );
        return null; // not cached: counted per collection
      }
      inst = new WorkerInstrument(this.instruments.length, kind, scope, d.name, d.description, d.unit, d.valueType, boundaries);
      this.instruments.push(inst);
      this._byKey.set(key, inst);
    }
    this._byDescriptor.set(metric.descriptor, inst);
    return inst;
  }

  private _seriesFor(inst: WorkerInstrument, attributes: Attributes): number {
    const found = inst.trie.find(attributes);
    if (found >= 0) return found;
    const keys: string[] = [];
    const values: unknown[] = [];
    for (const key in attributes) {
      keys.push(key);
      values.push(attributes[key]);
    }
    const isOverflow = keys.length === 1 && keys[0] === OVERFLOW_KEYS[0] && values[0] === true;
    if (!isOverflow && this.series >= this._limits.maxSeries) {
      this.totals.overflowed++;
      if (inst.overflowSid < 0) {
        this._warn(
          `series-limit:${inst.name}`,
          `fastmeter cluster: this worker has ${this._limits.maxSeries} series (maxSeries); new attribute sets of "${inst.name}" are sent as { "otel.metric.overflow": true }`,
        );
        inst.overflowSid = this._create(inst, OVERFLOW_KEYS, OVERFLOW_VALUES);
      }
      return inst.overflowSid;
    }
    const cost = definitionBytes(keys, values);
    if (this.inFlightBytes + this.pendingDefinitionBytes + cost > this._limits.maxQueueBytes) {
      this._warn(
        'queue-full',
        `fastmeter cluster: more than ${this._limits.maxQueueBytes} bytes are waiting for the IPC channel to the primary (maxQueueBytes); measurements of new series are dropped until it drains`,
      );
      return -1;
    }
    this.pendingDefinitionBytes += cost;
    const sid = this._create(inst, keys, values);
    if (isOverflow) inst.overflowSid = sid;
    return sid;
  }

  private _create(inst: WorkerInstrument, keys: readonly string[], values: readonly unknown[]): number {
    const sid = this._free.length > 0 ? (this._free.pop() as number) : this._highWater++;
    if (sid >= this._inst.length) this._grow(sid + 1);
    inst.trie.insert(keys, values, sid);
    this._inst[sid] = inst.iid;
    this._defined[sid] = 0;
    this._dirty[sid] = 0;
    this._idle[sid] = 0;
    this._value[sid] = 0;
    this._hist[sid] = null;
    this._keys[sid] = keys;
    this._values[sid] = values;
    this.series++;
    return sid;
  }

  private _grow(n: number): void {
    const cap = Math.max(n, this._inst.length * 2, 64);
    const inst = new Int32Array(cap).fill(-1);
    inst.set(this._inst);
    this._inst = inst;
    this._defined = grow(this._defined, cap);
    this._dirty = grow(this._dirty, cap);
    this._idle = grow(this._idle, cap);
    this._value = grow(this._value, cap);
  }

  /** Series idle for `releaseAfter` collections give their ids back; the primary is told to forget them. */
  private _age(): void {
    const limit = this._limits.releaseAfter;
    let dead: Set<number> | null = null;
    for (let sid = 0; sid < this._highWater; sid++) {
      const iid = this._inst[sid];
      if (iid < 0) continue;
      if (this._idle[sid] < 0xffff) this._idle[sid]++;
      if (this._idle[sid] <= limit || this._dirty[sid] === 1) continue;
      const inst = this.instruments[iid];
      if (inst.overflowSid === sid) continue;
      dead ??= new Set();
      dead.add(sid);
    }
    if (dead === null) return;
    const affected = new Set<WorkerInstrument>();
    for (const sid of dead) {
      affected.add(this.instruments[this._inst[sid]]);
      if (this._defined[sid] === 1) this._forgets.push(sid);
      this._inst[sid] = -1;
      this._defined[sid] = 0;
      this._hist[sid] = null;
      this._keys[sid] = null;
      this._values[sid] = null;
      this._free.push(sid);
      this.series--;
      this.totals.released++;
    }
    const released = dead;
    for (const inst of affected) inst.trie.remove(sid => released.has(sid));
  }

  // ---- encoding a sync message ------------------------------------------------------------

  /** Writes everything pending (see protocol/sync.ts) and clears it. */
  encode(w: Writer): EncodeResult {
    const strings = this._strings;
    let definitions = 0;
    for (const sid of this._forgets) w.uvar(sid + 1);
    w.u8(0);
    this._forgets = [];
    // Instruments first: every series defined below refers to one.
    for (let sid = 0; sid < this._highWater; sid++) {
      if (this._dirty[sid] === 0 || this._defined[sid] === 1) continue;
      const inst = this.instruments[this._inst[sid]];
      if (inst.defined) continue;
      inst.defined = true;
      definitions++;
      w.uvar(inst.iid + 1);
      strings.write(w, inst.scope.name);
      strings.write(w, inst.scope.version);
      strings.write(w, inst.scope.schemaUrl);
      strings.write(w, inst.name);
      strings.write(w, inst.description);
      strings.write(w, inst.unit);
      w.u8(inst.kind);
      w.u8(inst.valueType);
      w.uvar(inst.boundaries.length);
      for (const b of inst.boundaries) w.f64(b);
    }
    w.u8(0);
    for (let sid = 0; sid < this._highWater; sid++) {
      if (this._dirty[sid] === 0 || this._defined[sid] === 1) continue;
      this._defined[sid] = 1;
      definitions++;
      w.uvar(sid + 1);
      w.uvar(this._inst[sid]);
      writeAttributes(w, strings, this._keys[sid] as readonly string[], this._values[sid] as readonly unknown[]);
    }
    w.u8(0);
    this.pendingDefinitionBytes = 0;
    const values = this._writeValues(w, false, Kind.GAUGE) + this._writeValues(w, true, Kind.GAUGE) + this._writeHistograms(w);
    this._dirtyCount = 0;
    return { values, definitions };
  }

  /** Sums (any kind but gauge and histogram) or gauges. */
  private _writeValues(w: Writer, gauges: boolean, gaugeKind: Kind): number {
    let previous = -1;
    let n = 0;
    for (let sid = 0; sid < this._highWater; sid++) {
      if (this._dirty[sid] === 0) continue;
      const kind = this.instruments[this._inst[sid]].kind;
      if (kind === Kind.HISTOGRAM || (kind === gaugeKind) !== gauges) continue;
      w.uvar(sid - previous);
      w.num(this._value[sid]);
      previous = sid;
      this._value[sid] = 0;
      this._dirty[sid] = 0;
      n++;
    }
    w.u8(0);
    return n;
  }

  private _writeHistograms(w: Writer): number {
    let previous = -1;
    let n = 0;
    for (let sid = 0; sid < this._highWater; sid++) {
      if (this._dirty[sid] === 0) continue;
      const block = this._hist[sid] as Float64Array;
      w.uvar(sid - previous);
      w.uvar(block[H_COUNT]);
      w.num(block[H_SUM]);
      w.num(block[H_MIN]);
      w.num(block[H_MAX]);
      let last = -1;
      for (let i = 0; i < block.length - H_BUCKETS; i++) {
        const c = block[H_BUCKETS + i];
        if (c === 0) continue;
        w.uvar(i - last);
        w.uvar(c);
        last = i;
      }
      w.u8(0);
      block.fill(0);
      block[H_MIN] = Number.POSITIVE_INFINITY;
      block[H_MAX] = Number.NEGATIVE_INFINITY;
      previous = sid;
      this._dirty[sid] = 0;
      n++;
    }
    w.u8(0);
    return n;
  }

  /** A new session (the primary lost track): everything is defined again when it next has data. */
  restart(): void {
    this._strings = new StringTable();
    this._forgets = [];
    for (const inst of this.instruments) inst.defined = false;
    this._defined.fill(0);
    let bytes = 0;
    for (let sid = 0; sid < this._highWater; sid++) {
      if (this._dirty[sid] === 1) bytes += definitionBytes(this._keys[sid] as readonly string[], this._values[sid] as readonly unknown[]);
    }
    this.pendingDefinitionBytes = bytes;
  }
}

interface HistogramValue {
  buckets: { boundaries: readonly number[]; counts: readonly number[] };
  count: number;
  sum?: number;
  min?: number;
  max?: number;
}

/** An estimate of a series definition's encoded size (exact for ASCII strings sent for the first time). */
function definitionBytes(keys: readonly string[], values: readonly unknown[]): number {
  let n = 8;
  for (let i = 0; i < keys.length; i++) {
    n += 2 + keys[i].length;
    const v = values[i];
    n += typeof v === 'string' ? 3 + v.length : Array.isArray(v) ? 4 + 10 * v.length : 10;
  }
  return n;
}

function grow<T extends Uint8Array | Uint16Array | Float64Array>(a: T, cap: number): T {
  const next = new (a.constructor as new (n: number) => T)(cap);
  next.set(a);
  return next;
}
