// Reading the worker provider's collections into the outbox, two ways:
//
// - the read seam of a FastMeterProvider (@fastmeter/sdk/internal): each stream's
//   collection as typed-array columns (series ids + values), and the attributes
//   of each series announced once, when it is created. A sync then allocates no
//   attribute object and looks nothing up by attributes: the provider's series
//   id maps to ours through an Int32Array.
// - any other MeterProvider (sdk-metrics'): the MetricData objects of
//   reader.collect(), each point's attributes looked up in a trie.
import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type MetricData, type MetricDescriptor, type ResourceMetrics, type ScopeMetrics } from '@fastmeter/sdk';
import type { AggregationSpec, ReadSeam, SeamCollection, SeamStream } from '@fastmeter/sdk/internal';
import { DropCause, Kind } from '../protocol/messages.js';
import type { InstrumentIdentity, Outbox, WorkerInstrument } from './outbox.js';

/** The SDK's self-metrics meter: a worker's describe that process and would collide with the primary's own. */
const SELF_METER = 'fastmeter';

/** What the worker knows about one stream of its provider. */
class StreamState {
  /** undefined: not resolved yet; null: not sent (limit, unsupported). */
  inst: WorkerInstrument | null | undefined = undefined;
  /** The provider's series id → ours (-1: not resolved yet). */
  map = new Int32Array(0);
  /** The attributes of series announced since they were last resolved, by the provider's series id. */
  readonly keys: (readonly string[] | undefined)[] = [];
  readonly values: (readonly unknown[] | undefined)[] = [];

  announce(sid: number, keys: readonly string[], values: readonly unknown[]): void {
    if (sid >= this.map.length) {
      const map = new Int32Array(Math.max(sid + 1, this.map.length * 2, 16)).fill(-1);
      map.set(this.map);
      this.map = map;
    }
    this.map[sid] = -1;
    this.keys[sid] = keys;
    this.values[sid] = values;
  }
}

export class SeamCollector {
  private readonly _streams = new Map<SeamStream, StreamState>();
  private readonly _unsubscribe: () => void;

  constructor(private readonly _seam: ReadSeam) {
    // Called on the recording call that creates a series: keep it to a few stores.
    this._unsubscribe = _seam.onSeries((stream, sid, keys, values) => this._state(stream).announce(sid, keys, values));
  }

  close(): void {
    this._unsubscribe();
  }

  private _state(stream: SeamStream): StreamState {
    let state = this._streams.get(stream);
    if (state === undefined) this._streams.set(stream, (state = new StreamState()));
    return state;
  }

  /**
   * Snapshots every stream of the collection (synchronously: one consistent cut) into `outbox`.
   * With `asMetricData`, also returns what reader.collect() would have (an explicit collect()).
   */
  absorb(outbox: Outbox, collection: SeamCollection, asMetricData = false): ResourceMetrics | undefined {
    const scopeMetrics: ScopeMetrics[] = [];
    const endTime = millisToHrTime(collection.collectionMs);
    for (const { scope, streams } of collection.scopes) {
      const metrics: MetricData[] = [];
      if (asMetricData) scopeMetrics.push({ scope, metrics });
      for (const stream of streams) {
        const snapshot = this._seam.snapshot(stream, collection.collectionMs);
        if (snapshot === undefined) continue;
        if (asMetricData) metrics.push(this._seam.toMetricData(stream, snapshot, this._seam.attributes(stream), endTime));
        if (scope.name === SELF_METER) continue;
        const state = this._state(stream);
        if (state.inst === undefined) state.inst = outbox.instrument(identityOfStream(scope, stream));
        const inst = state.inst;
        if (inst === null) {
          outbox.drop(stream.spec.kind === 'exponential' ? DropCause.UNSUPPORTED : DropCause.INSTRUMENT_LIMIT, snapshot.count);
          continue;
        }
        const { sids, values, count } = snapshot;
        let materialized: (Attributes | undefined)[] | undefined;
        const seam = this._seam;
        for (let i = 0; i < count; i++) {
          const psid = sids[i];
          let sid = psid < state.map.length ? state.map[psid] : -1;
          if (sid < 0) {
            const keys = state.keys[psid];
            if (keys !== undefined) {
              sid = outbox.seriesFor(inst, keys, state.values[psid] as readonly unknown[]);
            } else {
              // Announced before this reader listened (cannot happen for a reader given at construction): a full walk, once.
              materialized ??= seam.attributes(stream);
              const attrs = materialized[psid];
              if (attrs !== undefined) sid = outbox.seriesOf(inst, attrs);
            }
            if (sid < 0) {
              outbox.drop(DropCause.QUEUE_FULL, 1);
              continue;
            }
            if (psid >= state.map.length) state.announce(psid, [], []);
            state.map[psid] = sid;
            state.keys[psid] = undefined;
            state.values[psid] = undefined;
          }
          if (values.kind === 'number') {
            if (inst.kind === Kind.GAUGE) outbox.setGauge(sid, values.values[i]);
            else outbox.addSum(sid, values.values[i]);
          } else if (values.kind === 'histogram') {
            outbox.mergeHistogram(
              sid,
              values.counts,
              i * values.stride,
              values.count[i],
              values.sum === null ? 0 : values.sum[i],
              values.min === null ? Number.NaN : values.min[i],
              values.max === null ? Number.NaN : values.max[i],
            );
          }
        }
      }
    }
    outbox.endCollection();
    return asMetricData ? { resource: this._seam.resource, scopeMetrics: scopeMetrics.filter(s => s.metrics.length > 0) } : undefined;
  }
}

function millisToHrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function identityOfStream(scope: Scope, stream: SeamStream): InstrumentIdentity {
  const spec: AggregationSpec = stream.spec;
  let kind: Kind | null = null;
  if (spec.kind === 'sum') kind = spec.monotonic ? Kind.COUNTER : Kind.UP_DOWN_COUNTER;
  else if (spec.kind === 'lastValue') kind = Kind.GAUGE;
  else if (spec.kind === 'histogram') kind = Kind.HISTOGRAM;
  return identity(scope, stream.descriptor, kind, spec.kind === 'histogram' ? spec.boundaries : []);
}

type Scope = { name: string; version?: string; schemaUrl?: string };

function identity(scope: Scope, d: MetricDescriptor, kind: Kind | null, boundaries: readonly number[]): InstrumentIdentity {
  return {
    scope: { name: scope.name, version: scope.version ?? '', schemaUrl: scope.schemaUrl ?? '' },
    name: d.name,
    description: d.description,
    unit: d.unit,
    valueType: d.valueType,
    kind,
    boundaries,
  };
}

/** The MetricData path: any MeterProvider's collection. */
export class MetricDataCollector {
  private readonly _byDescriptor = new WeakMap<object, WorkerInstrument | null>();

  absorb(outbox: Outbox, resourceMetrics: ResourceMetrics): void {
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      if (scopeMetrics.scope.name === SELF_METER) continue;
      for (const metric of scopeMetrics.metrics) this._metric(outbox, scopeMetrics, metric);
    }
    outbox.endCollection();
  }

  private _metric(outbox: Outbox, scopeMetrics: ScopeMetrics, metric: MetricData): void {
    let inst = this._byDescriptor.get(metric.descriptor);
    if (inst === undefined) {
      const identity = identityOfMetric(scopeMetrics, metric);
      if (identity === null) return; // a histogram without points: resolved when it has some
      inst = outbox.instrument(identity);
      // Not cached past maxInstruments: counted per collection, and the limit may not hold after a restart.
      if (inst !== null || identity.kind === null) this._byDescriptor.set(metric.descriptor, inst);
    }
    if (inst === null) {
      outbox.drop(metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM ? DropCause.UNSUPPORTED : DropCause.INSTRUMENT_LIMIT, metric.dataPoints.length);
      return;
    }
    const points = metric.dataPoints as { attributes: Attributes; value: any }[];
    for (let i = 0; i < points.length; i++) {
      const point = points[i];
      const sid = outbox.seriesOf(inst, point.attributes);
      if (sid < 0) {
        outbox.drop(DropCause.QUEUE_FULL, 1);
        continue;
      }
      if (inst.kind === Kind.HISTOGRAM) {
        const h = point.value;
        if (h.buckets.counts.length !== inst.boundaries.length + 1) continue;
        outbox.mergeHistogram(sid, h.buckets.counts, 0, h.count, h.sum ?? 0, h.min ?? Number.NaN, h.max ?? Number.NaN);
      } else if (inst.kind === Kind.GAUGE) {
        outbox.setGauge(sid, point.value);
      } else {
        outbox.addSum(sid, point.value);
      }
    }
  }
}

function identityOfMetric(scopeMetrics: ScopeMetrics, metric: MetricData): InstrumentIdentity | null {
  let kind: Kind | null = null;
  let boundaries: readonly number[] = [];
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      kind = metric.isMonotonic ? Kind.COUNTER : Kind.UP_DOWN_COUNTER;
      break;
    case DataPointType.GAUGE:
      kind = Kind.GAUGE;
      break;
    case DataPointType.HISTOGRAM: {
      const first = metric.dataPoints[0];
      if (first === undefined) return null;
      kind = Kind.HISTOGRAM;
      boundaries = [...first.value.buckets.boundaries];
      break;
    }
  }
  return identity(scopeMetrics.scope, metric.descriptor, kind, boundaries);
}
