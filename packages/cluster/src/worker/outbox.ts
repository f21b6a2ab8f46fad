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
import { AttributeTrie } from '@fastmeter/sdk/internal';
import { type DropCause, Kind } from '../protocol/messages.js';
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

/** What makes two workers' instruments one instrument of the primary. `kind` null: not mergeable. */
export interface InstrumentIdentity {
  readonly scope: { readonly name: string; readonly version: string; readonly schemaUrl: string };
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly valueType: number;
  readonly kind: Kind | null;
  readonly boundaries: readonly number[];
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

  // ---- what collections feed in (see collections.ts) ---------------------------------------

  /** The instrument of this identity; null past maxInstruments or for an aggregation the primary cannot merge. */
  instrument(id: InstrumentIdentity): WorkerInstrument | null {
    if (id.kind === null) {
      this._warn(
        `unsupported:${id.name}`,
        `fastmeter cluster: "${id.name}" has an exponential histogram aggregation, which the primary cannot merge yet; its data stays in this worker (use explicit buckets for clustered histograms)`,
      );
      return null;
    }
    const key = [id.scope.name, id.scope.version, id.scope.schemaUrl, id.name, id.kind, id.unit, id.valueType, id.boundaries.join(',')].join('\u0000');
    let inst = this._byKey.get(key);
    if (inst !== undefined) return inst;
    if (this.instruments.length >= this._limits.maxInstruments) {
      this._warn(
        'instrument-limit',
        `fastmeter cluster: more than ${this._limits.maxInstruments} instruments (maxInstruments); "${id.name}" is not sent to the primary`,
      );
      return null;
    }
    inst = new WorkerInstrument(this.instruments.length, id.kind, id.scope, id.name, id.description, id.unit, id.valueType, id.boundaries);
    this.instruments.push(inst);
    this._byKey.set(key, inst);
    return inst;
  }

  /** The series id of an attribute set, by its object (the MetricData path). */
  seriesOf(inst: WorkerInstrument, attributes: Attributes): number {
    const found = inst.trie.find(attributes);
    if (found >= 0) return found;
    const keys: string[] = [];
    const values: unknown[] = [];
    for (const key in attributes) {
      keys.push(key);
      values.push(attributes[key]);
    }
    return this.seriesFor(inst, keys, values);
  }

  /**
   * The series id of an attribute set given as pairs (the read seam announces them so), created
   * if new; the instrument's overflow series past maxSeries; -1 when refused (queue full).
   */
  seriesFor(inst: WorkerInstrument, keys: readonly string[], values: readonly unknown[]): number {
    const found = inst.trie.findPairs(keys, values);
    if (found >= 0) return found;
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

  addSum(sid: number, value: number): void {
    this._idle[sid] = 0;
    this._value[sid] += value;
    this._markDirty(sid);
  }

  setGauge(sid: number, value: number): void {
    this._idle[sid] = 0;
    this._value[sid] = value;
    this._markDirty(sid);
  }

  /** Adds one interval of a histogram: `counts[offset .. offset + buckets)`; min/max NaN when not recorded. */
  mergeHistogram(sid: number, counts: ArrayLike<number>, offset: number, count: number, sum: number, min: number, max: number): void {
    this._idle[sid] = 0;
    if (!(count > 0)) return;
    const inst = this.instruments[this._inst[sid]];
    const buckets = inst.boundaries.length + 1;
    let block = this._hist[sid];
    if (block === null || block === undefined) {
      block = new Float64Array(H_BUCKETS + buckets);
      block[H_MIN] = Number.POSITIVE_INFINITY;
      block[H_MAX] = Number.NEGATIVE_INFINITY;
      this._hist[sid] = block;
    }
    block[H_COUNT] += count;
    block[H_SUM] += sum;
    if (min < block[H_MIN]) block[H_MIN] = min;
    if (max > block[H_MAX]) block[H_MAX] = max;
    for (let i = 0; i < buckets; i++) block[H_BUCKETS + i] += counts[offset + i];
    this._markDirty(sid);
  }

  drop(cause: DropCause, n: number): void {
    if (n <= 0) return;
    this.drops[cause] = (this.drops[cause] ?? 0) + n;
    this.totals.dropped += n;
  }

  /** After each collection: series idle for `releaseAfter` collections give their ids back (the primary forgets them). */
  endCollection(): void {
    this._age();
  }

  private _markDirty(sid: number): void {
    if (this._dirty[sid] === 0) {
      this._dirty[sid] = 1;
      this._dirtyCount++;
    }
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
