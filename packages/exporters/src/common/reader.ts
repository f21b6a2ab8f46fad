// The MetricReader contract, as @opentelemetry/sdk-metrics' MetricReader
// implements it (same errors, same once-only shutdown), without depending on a
// copy of sdk-metrics: FastMeterProvider and sdk-metrics' MeterProvider both
// duck-type their readers. On a FastMeterProvider the reader finds the read
// seam in its producer and serialises from columns; on any other provider it
// collects the standard way and converts the objects (same serialisers).
import { diag } from '@opentelemetry/api';
import {
  type AggregationOption,
  AggregationTemporality,
  AggregationType,
  type CollectionResult,
  type IMetricReader,
  type InstrumentType,
  type MetricCollectOptions,
  type MetricProducer,
} from '@fastmeter/sdk';
import { type ReadSeam, readSeamOf } from '@fastmeter/sdk/internal';
import { type ColumnCollection, collectColumns, columnsOf } from './columns.js';
import { SeriesStore } from './series.js';
import type { Slicer } from './slicer.js';

export interface FastReaderOptions {
  aggregationSelector?: (type: InstrumentType) => AggregationOption;
  aggregationTemporalitySelector?: (type: InstrumentType) => AggregationTemporality;
  /** Cardinality limit per instrument kind (default 2000, the specification's). */
  cardinalitySelector?: (type: InstrumentType) => number;
  /** @experimental Further producers whose data is appended (their resource is ignored), as in sdk-metrics. */
  metricProducers?: MetricProducer[];
}

const DEFAULT_AGGREGATION: AggregationOption = Object.freeze({ type: AggregationType.DEFAULT });

export abstract class FastMetricReader implements IMetricReader {
  private _producer: MetricProducer | undefined = undefined;
  private _seam: ReadSeam | undefined = undefined;
  private _store: SeriesStore | undefined = undefined;
  private _isShutdown = false;
  private readonly _aggregationSelector: (type: InstrumentType) => AggregationOption;
  private readonly _temporalitySelector: (type: InstrumentType) => AggregationTemporality;
  private readonly _cardinalitySelector: ((type: InstrumentType) => number) | undefined;
  private readonly _metricProducers: MetricProducer[];

  protected constructor(options: FastReaderOptions = {}) {
    this._aggregationSelector = options.aggregationSelector ?? (() => DEFAULT_AGGREGATION);
    this._temporalitySelector = options.aggregationTemporalitySelector ?? (() => AggregationTemporality.CUMULATIVE);
    this._cardinalitySelector = options.cardinalitySelector;
    this._metricProducers = options.metricProducers ?? [];
  }

  setMetricProducer(producer: MetricProducer): void {
    if (this._producer !== undefined) throw new Error('MetricReader can not be bound to a MeterProvider again.');
    this._producer = producer;
    this._seam = readSeamOf(producer);
    // Subscribe now, before any instrument exists, so every series is announced once.
    if (this._seam !== undefined) this._store = new SeriesStore(this._seam);
    this.onInitialized();
  }

  /** True when bound to a FastMeterProvider: collections are read from its columns. */
  get isFastPath(): boolean {
    return this._seam !== undefined;
  }

  selectAggregation(type: InstrumentType): AggregationOption {
    return this._aggregationSelector(type);
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this._temporalitySelector(type);
  }

  selectCardinalityLimit(type: InstrumentType): number {
    return this._cardinalitySelector ? this._cardinalitySelector(type) : 2000;
  }

  /** The standard collection (ResourceMetrics objects), as sdk-metrics' MetricReader.collect(). */
  async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    const producer = this._bound();
    const [own, ...more] = await Promise.all([producer.collect(options), ...this._metricProducers.map(p => p.collect(options))]);
    return {
      resourceMetrics: {
        resource: own.resourceMetrics.resource,
        scopeMetrics: own.resourceMetrics.scopeMetrics.concat(...more.map(r => r.resourceMetrics.scopeMetrics)),
      },
      errors: own.errors.concat(...more.map(r => r.errors)),
    };
  }

  /**
   * This reader's collection as columns: read from fastmeter's typed arrays
   * when bound to a FastMeterProvider, else collected and converted. Replaces
   * collect() for that collection (delta state is consumed once).
   */
  protected async collectColumns(slicer: Slicer, timeoutMillis?: number): Promise<ColumnCollection> {
    this._bound();
    const seam = this._seam;
    if (seam === undefined) {
      const { resourceMetrics, errors } = await this.collect({ timeoutMillis });
      return columnsOf(resourceMetrics, errors);
    }
    const [own, ...more] = await Promise.all([
      collectColumns(seam, this._store as SeriesStore, slicer, timeoutMillis),
      ...this._metricProducers.map(p => p.collect({ timeoutMillis })),
    ]);
    for (const r of more) {
      const extra = columnsOf(r.resourceMetrics, r.errors);
      own.scopes.push(...extra.scopes);
      own.errors.push(...extra.errors);
    }
    return own;
  }

  async shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    if (this._isShutdown) {
      diag.error('Cannot call shutdown twice.');
      return;
    }
    await withTimeout(this.onShutdown(), options?.timeoutMillis);
    this._isShutdown = true;
    this._store?.close();
  }

  async forceFlush(options?: { timeoutMillis?: number }): Promise<void> {
    if (this._isShutdown) {
      diag.warn('Cannot forceFlush on already shutdown MetricReader.');
      return;
    }
    await withTimeout(this.onForceFlush(), options?.timeoutMillis);
  }

  protected get isShutdown(): boolean {
    return this._isShutdown;
  }

  protected onInitialized(): void {}
  protected abstract onShutdown(): Promise<void>;
  protected abstract onForceFlush(): Promise<void>;

  private _bound(): MetricProducer {
    if (this._producer === undefined) throw new Error('MetricReader is not bound to a MetricProducer');
    if (this._isShutdown) throw new Error('MetricReader is shutdown');
    return this._producer;
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMillis: number | undefined): Promise<T> {
  if (timeoutMillis == null) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Operation timed out.')), timeoutMillis);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
