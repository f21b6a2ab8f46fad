import type {
  BatchObservableCallback,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MetricOptions,
  Observable,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
  UpDownCounter,
} from '@opentelemetry/api';
import { InstrumentType } from '../common/enums.js';
import type { InstrumentationScope } from '../common/types.js';
import { CallbackRegistry } from '../collect/callbacks.js';
import { createDescriptor } from './descriptor.js';
import { bind } from './bind.js';
import { type CopyApi, FastCounter, FastGauge, FastHistogram, FastObservable, FastUpDownCounter, type InstrumentInternals } from './instruments.js';
import { removeSeries } from './remove.js';
import { composeProcessors } from './processor.js';
import { createRecordFunction, type RecordFunction, ValueCheck } from './record.js';
import type { ProviderState } from './state.js';
import { createWeightedRecordFunction } from './weighted.js';
import { StreamRegistry, buildStreams } from './streams.js';

/** This copy's bind and removeSeries, for instruments handed to another copy of the package. */
const COPY: CopyApi = { bind: bind as CopyApi['bind'], removeSeries: removeSeries as CopyApi['removeSeries'] };

type SyncType = typeof InstrumentType.COUNTER | typeof InstrumentType.UP_DOWN_COUNTER | typeof InstrumentType.HISTOGRAM | typeof InstrumentType.GAUGE;

export class FastMeter implements Meter {
  readonly streams = new StreamRegistry();
  readonly callbacks: CallbackRegistry;

  constructor(
    private readonly _state: ProviderState,
    readonly scope: InstrumentationScope,
  ) {
    this.callbacks = new CallbackRegistry(_state.health);
  }

  createCounter(name: string, options?: MetricOptions): Counter {
    return new FastCounter(...this._sync(name, InstrumentType.COUNTER, options));
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    return new FastUpDownCounter(...this._sync(name, InstrumentType.UP_DOWN_COUNTER, options));
  }

  createHistogram(name: string, options?: MetricOptions): Histogram {
    return new FastHistogram(...this._sync(name, InstrumentType.HISTOGRAM, options));
  }

  createGauge(name: string, options?: MetricOptions): Gauge {
    return new FastGauge(...this._sync(name, InstrumentType.GAUGE, options));
  }

  createObservableCounter(name: string, options?: MetricOptions): ObservableCounter {
    return this._observable(name, InstrumentType.OBSERVABLE_COUNTER, options);
  }

  createObservableUpDownCounter(name: string, options?: MetricOptions): ObservableUpDownCounter {
    return this._observable(name, InstrumentType.OBSERVABLE_UP_DOWN_COUNTER, options);
  }

  createObservableGauge(name: string, options?: MetricOptions): ObservableGauge {
    return this._observable(name, InstrumentType.OBSERVABLE_GAUGE, options);
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.callbacks.addBatchCallback(callback, observables);
  }

  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.callbacks.removeBatchCallback(callback, observables);
  }

  private _sync(name: string, type: SyncType, options: MetricOptions | undefined): [RecordFunction, InstrumentInternals] {
    const { health, processors } = this._state;
    const descriptor = createDescriptor(name, type, options, health);
    const streams = buildStreams(this._state, this.streams, this.scope, descriptor, false);
    const check = new ValueCheck(descriptor, health);
    let record: RecordFunction = createRecordFunction(streams, check);
    if (processors.length > 0) {
      const context = { recordWeighted: createWeightedRecordFunction(streams, check) };
      record = composeProcessors(processors, descriptor, record, context, health);
    }
    return [record, { streams, descriptor, health, processors, copy: COPY }];
  }

  private _observable(name: string, type: InstrumentType, options: MetricOptions | undefined): FastObservable {
    const descriptor = createDescriptor(name, type, options, this._state.health);
    const streams = buildStreams(this._state, this.streams, this.scope, descriptor, true);
    return new FastObservable(descriptor, streams, this.callbacks, this._state.health, COPY);
  }
}
