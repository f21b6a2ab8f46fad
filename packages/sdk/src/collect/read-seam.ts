// The read seam: what fastmeter's own exporters (@fastmeter/exporters) need to
// serialise a reader's collection straight from the typed arrays, instead of
// through one DataPoint object per series. It hangs off the MetricProducer a
// reader is given (`readSeamOf(producer)`), under a Symbol.for key, so it works
// for any reader a FastMeterProvider was built with and across copies of this
// package (ESM and CommonJS loaded side by side).
//
//   seam.observe()          collect hooks + observable callbacks: a collection's first step
//   seam.scopes()           meters → the streams bound to this reader, in collection order
//   seam.snapshot(stream)   one consistent columnar copy of the stream for this reader,
//                           with the collection's bookkeeping (delta reset, reclaim, eviction)
//   seam.onSeries(fn)       the attributes of every series of those streams, once, when it is
//                           created: exporters render label strings once and cache them by id
//
// A collection through the seam replaces reader.collect() for that reader (the
// delta state is consumed by either, never both). No semver promise: internal.
import type { Attributes } from '@opentelemetry/api';
import type { AggregationSpec } from '../aggregate/aggregation.js';
import type { FastMeter } from '../api/meter.js';
import type { ProviderState } from '../api/state.js';
import type { InstrumentDescriptor, InstrumentationScope, MetricData, Resource } from '../common/types.js';
import type { StreamSnapshot } from './snapshot.js';
import { loadTimeoutErrorClass } from './timeout.js';
import type { MetricStream } from './stream.js';

export const READ_SEAM: unique symbol = Symbol.for('@fastmeter/sdk.read-seam') as never;
/** Bumped on any incompatible change of this file's shapes. */
export const READ_SEAM_VERSION = 1;

/** What an exporter sees of a stream. */
export interface SeamStream {
  readonly descriptor: InstrumentDescriptor;
  readonly spec: AggregationSpec;
}

export interface SeamScope {
  readonly scope: InstrumentationScope;
  readonly streams: readonly SeamStream[];
}

/** A collection after its callbacks ran: what remains is to snapshot each stream. */
export interface SeamCollection {
  readonly collectionMs: number;
  readonly errors: unknown[];
  /** Meters (that existed when the collection began) with the streams bound to this reader, in collection order. */
  readonly scopes: readonly SeamScope[];
}

/** Called synchronously when a series is created (on the recording call that creates it): keep it cheap. */
export type SeriesObserver = (stream: SeamStream, sid: number, keys: readonly string[], values: readonly unknown[]) => void;

export class ReadSeam {
  readonly version = READ_SEAM_VERSION;

  constructor(
    private readonly _state: ProviderState,
    private readonly _meters: ReadonlyMap<string, FastMeter>,
    readonly readerIndex: number,
  ) {}

  get resource(): Resource {
    return this._state.resource;
  }

  /**
   * Starts a collection at `collectionMs`: runs the collect hooks, then every
   * meter's observable callbacks, as every collection does first. The result
   * lists the errors and, per meter that existed when it started, the streams
   * to read.
   */
  async begin(collectionMs: number, timeoutMillis?: number): Promise<SeamCollection> {
    // A callback that times out rejects with sdk-metrics' TimeoutError when it can be loaded (as collect()).
    if (timeoutMillis != null) await loadTimeoutErrorClass();
    const errors: unknown[] = [];
    for (const hook of this._state.collectHooks) {
      try {
        await hook();
      } catch (err) {
        errors.push(err);
      }
    }
    const meters = Array.from(this._meters.values());
    await Promise.all(meters.map(meter => meter.callbacks.observe(collectionMs, timeoutMillis, errors)));
    const readerIndex = this.readerIndex;
    const scopes: SeamScope[] = [];
    for (const meter of meters) {
      const streams: MetricStream[] = [];
      for (const stream of meter.streams.all()) if (stream.servesReader(readerIndex)) streams.push(stream);
      if (streams.length > 0) scopes.push({ scope: meter.scope, streams });
    }
    return { collectionMs, errors, scopes };
  }

  /** This reader's collection of `stream` as columns, or undefined when it has no points (see snapshot.ts). */
  snapshot(stream: SeamStream, collectionMs: number): StreamSnapshot | undefined {
    return (stream as MetricStream).snapshot(this.readerIndex, collectionMs);
  }

  /** Attributes of every live series of `stream`, indexed by series id (a full walk: for series an observer missed). */
  attributes(stream: SeamStream): (Attributes | undefined)[] {
    return (stream as MetricStream).series.materialize();
  }

  /** The MetricData reader.collect() would have exported for this snapshot. */
  toMetricData(stream: SeamStream, snapshot: StreamSnapshot, attributes: readonly (Attributes | undefined)[], endTime: [number, number]): MetricData {
    return (stream as MetricStream).toMetricData(snapshot, attributes, endTime);
  }

  /**
   * Tells `observer` of every series created from now on in a stream bound to
   * this reader. Register when the reader is given its producer, before any
   * instrument exists, to see every series. Returns the unsubscribe function.
   */
  onSeries(observer: SeriesObserver): () => void {
    const slot = {
      readerIndex: this.readerIndex,
      observe: observer as (stream: unknown, sid: number, keys: readonly string[], values: readonly unknown[]) => void,
    };
    this._state.seriesObservers.push(slot);
    return () => {
      const i = this._state.seriesObservers.indexOf(slot);
      if (i >= 0) this._state.seriesObservers.splice(i, 1);
    };
  }
}

/** The read seam of a MetricProducer handed out by a FastMeterProvider (any copy of this package), else undefined. */
export function readSeamOf(producer: unknown): ReadSeam | undefined {
  if (producer === null || typeof producer !== 'object') return undefined;
  const seam = (producer as { [READ_SEAM]?: ReadSeam })[READ_SEAM];
  return seam !== undefined && seam.version === READ_SEAM_VERSION ? seam : undefined;
}
