import {
  type BatchObservableCallback,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MetricOptions,
  type Observable,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableUpDownCounter,
  type UpDownCounter,
  ValueType,
  createNoopMeter,
} from '@opentelemetry/api';
import { H_NO_INSTRUMENT, KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM, KIND_UP_DOWN } from '../common/layout.js';
import type { SharedMemory } from '../common/memory.js';
import type { Warnings } from '@fastmeter/sdk/internal';
import { FULL, type Registry, type SharedInstrument } from '../shared/registry.js';
import { ValueCheck } from './check.js';
import { type LaneRef, type RecordFunction, gaugeRecord, histogramRecord, sumRecord } from './record.js';
import { LocalSeries } from './series.js';

/** The OpenTelemetry default explicit bucket boundaries (as sdk-metrics and @fastmeter/sdk). */
export const DEFAULT_BOUNDARIES: readonly number[] = Object.freeze([0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]);
const NAME = /^[a-z][a-z0-9_.\-/]{0,254}$/i;
const NOOP_METER = createNoopMeter();
const NOOP: RecordFunction = () => {};

/** What every meter of one worker provider shares. */
export interface WorkerState {
  readonly memory: SharedMemory;
  /** Null when no lane was free: every instrument is a no-op. */
  readonly registry: Registry | null;
  readonly lane: LaneRef;
  readonly warnings: Warnings;
  /** This thread's series caches, by shared instrument id. */
  readonly series: Map<number, LocalSeries>;
  readonly checks: ValueCheck[];
}

export interface MeterScope {
  readonly name: string;
  readonly version: string;
  readonly schemaUrl: string;
}

class WorkerCounter implements Counter, UpDownCounter {
  constructor(readonly add: RecordFunction) {}
}

class WorkerHistogram implements Histogram, Gauge {
  constructor(readonly record: RecordFunction) {}
}

/**
 * A Meter whose synchronous instruments live in shared memory. Observable
 * instruments have nothing to observe in a worker (the main thread collects):
 * they are no-ops, with a warning; create them on the main thread's provider.
 */
export class WorkerMeter implements Meter {
  constructor(
    private readonly _state: WorkerState,
    private readonly _scope: MeterScope,
  ) {}

  createCounter(name: string, options?: MetricOptions): Counter {
    return new WorkerCounter(this._create(name, KIND_COUNTER, options));
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    return new WorkerCounter(this._create(name, KIND_UP_DOWN, options));
  }

  createHistogram(name: string, options?: MetricOptions): Histogram {
    return new WorkerHistogram(this._create(name, KIND_HISTOGRAM, options));
  }

  createGauge(name: string, options?: MetricOptions): Gauge {
    return new WorkerHistogram(this._create(name, KIND_GAUGE, options));
  }

  createObservableCounter(name: string, options?: MetricOptions): ObservableCounter {
    this._observableWarning(name);
    return NOOP_METER.createObservableCounter(name, options);
  }

  createObservableUpDownCounter(name: string, options?: MetricOptions): ObservableUpDownCounter {
    this._observableWarning(name);
    return NOOP_METER.createObservableUpDownCounter(name, options);
  }

  createObservableGauge(name: string, options?: MetricOptions): ObservableGauge {
    this._observableWarning(name);
    return NOOP_METER.createObservableGauge(name, options);
  }

  addBatchObservableCallback(_callback: BatchObservableCallback, _observables: Observable[]): void {
    this._observableWarning('batch callback');
  }

  removeBatchObservableCallback(_callback: BatchObservableCallback, _observables: Observable[]): void {}

  private _observableWarning(name: string): void {
    this._state.warnings.warn(
      'observable',
      `fastmeter: observable instrument "${name}" created in a worker is a no-op: worker threads share synchronous instruments only; register observables on the main thread's provider`,
    );
  }

  private _create(rawName: string, kind: number, options: MetricOptions | undefined): RecordFunction {
    const { registry, warnings } = this._state;
    const name = typeof rawName === 'string' ? rawName : String(rawName);
    if (!NAME.test(name)) {
      warnings.warn(
        `name:${name}`,
        `fastmeter: invalid instrument name ${JSON.stringify(name)}: it must start with an ASCII letter and contain at most 255 characters of [A-Za-z0-9_.-/]`,
      );
    }
    if (registry === null) return NOOP;
    let valueType = options?.valueType ?? ValueType.DOUBLE;
    if (valueType !== ValueType.INT && valueType !== ValueType.DOUBLE) valueType = ValueType.DOUBLE;
    const advice = options?.advice?.explicitBucketBoundaries;
    const advised = kind === KIND_HISTOGRAM && Array.isArray(advice);
    const boundaries = kind !== KIND_HISTOGRAM ? [] : advised ? cleanBoundaries(advice as number[]) : DEFAULT_BOUNDARIES;
    const shared = registry.instrument(
      {
        scopeName: this._scope.name,
        scopeVersion: this._scope.version,
        schemaUrl: this._scope.schemaUrl,
        name,
        kind,
        unit: typeof options?.unit === 'string' ? options.unit : '',
        valueType,
      },
      { name, description: typeof options?.description === 'string' ? options.description : '', boundaries, advised },
      this._state.memory.layout.config.cardinalityLimit,
    );
    if (typeof shared === 'number') {
      Atomics.add(this._state.memory.control, H_NO_INSTRUMENT, 1);
      warnings.warn(
        'instrument-full',
        `fastmeter: instrument "${name}" created in a worker is a no-op: ${shared === FULL ? 'the shared instrument table or arena is full (raise maxInstruments / arenaBytes)' : 'it could not be registered'}`,
      );
      return NOOP;
    }
    return this._recordFunction(shared, name);
  }

  private _recordFunction(shared: SharedInstrument, name: string): RecordFunction {
    const state = this._state;
    let series = state.series.get(shared.id);
    if (series === undefined) {
      series = new LocalSeries(shared, state.registry as Registry, name, state.warnings, state.lane);
      state.series.set(shared.id, series);
    }
    // The first thread to create the instrument fixed its kind-specific shape; use that.
    const monotonic = shared.kind === KIND_COUNTER || shared.kind === KIND_HISTOGRAM;
    const check = new ValueCheck(name, monotonic, shared.valueType === ValueType.INT, state.warnings);
    state.checks.push(check);
    switch (shared.kind) {
      case KIND_HISTOGRAM:
        return histogramRecord(series, state.lane, check, Float64Array.from(shared.boundaries));
      case KIND_GAUGE:
        return gaugeRecord(series, state.lane, check, state.memory.control);
      default:
        return sumRecord(series, state.lane, check);
    }
  }
}

/** As the core: sorted, without ±Infinity. */
function cleanBoundaries(boundaries: readonly number[]): number[] {
  const sorted = boundaries.filter(b => typeof b === 'number' && b === b).sort((a, b) => a - b);
  const minusInfinity = sorted.lastIndexOf(Number.NEGATIVE_INFINITY);
  const infinity = sorted.indexOf(Number.POSITIVE_INFINITY);
  return sorted.slice(minusInfinity + 1, infinity === -1 ? undefined : infinity);
}
