// FastPeriodicExportingMetricReader: sdk-metrics' PeriodicExportingMetricReader
// (same options, validation, timing, in-flight handling, flush and shutdown),
// whose collection, on a FastMeterProvider with a FastOTLPMetricExporter, is
// read from the typed arrays and encoded in slices instead of going through
// ResourceMetrics objects. With any other exporter or provider it collects and
// exports exactly as the standard reader does.
import { type Context, createContextKey, context, diag } from '@opentelemetry/api';
import { ErrorCode, FastMeterConfigError, InstrumentType, type MetricProducer, type ResourceMetrics } from '@fastmeter/sdk';
import { FastMetricReader } from '../common/reader.js';
import { Slicer, sliceBudget } from '../common/slicer.js';
import type { ColumnCollection } from '../common/columns.js';
import { type ExportResult, ExportResultCode } from './exporter.js';

/** FastOTLPMetricExporter as seen by duck typing (it may come from another copy of this package). */
interface ColumnExporter extends PushMetricExporter {
  readonly sliceBudgetMillis: number;
  exportColumns(collection: ColumnCollection, slicer: Slicer): Promise<ExportResult>;
}

function isColumnExporter(exporter: PushMetricExporter): exporter is ColumnExporter {
  return (
    typeof (exporter as Partial<ColumnExporter>).exportColumns === 'function' && typeof (exporter as Partial<ColumnExporter>).sliceBudgetMillis === 'number'
  );
}

/** What the reader needs of an exporter: sdk-metrics' PushMetricExporter. */
export interface PushMetricExporter {
  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  selectAggregationTemporality?(type: InstrumentType): never | number;
  selectAggregation?(type: InstrumentType): never | object;
}

export interface CardinalityLimits {
  default?: number;
  counter?: number;
  gauge?: number;
  histogram?: number;
  upDownCounter?: number;
  observableCounter?: number;
  observableGauge?: number;
  observableUpDownCounter?: number;
}

export interface FastPeriodicExportingMetricReaderOptions {
  exporter: PushMetricExporter;
  /** Default 60000. */
  exportIntervalMillis?: number;
  /** Default 30000 (clamped to the interval unless both are given). */
  exportTimeoutMillis?: number;
  /** @experimental As in sdk-metrics. */
  metricProducers?: MetricProducer[];
  cardinalityLimits?: CardinalityLimits;
  /** Longest synchronous block of a collection and its encoding, in ms. Default: the exporter's (10). */
  sliceBudgetMillis?: number;
}

/** The context key @opentelemetry/core's suppressTracing sets: exports are not traced. */
const SUPPRESS_TRACING = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export class FastPeriodicExportingMetricReader extends FastMetricReader {
  private readonly _exporter: PushMetricExporter;
  private readonly _exportInterval: number;
  private readonly _exportTimeout: number;
  private readonly _budget: number;
  private _interval: NodeJS.Timeout | undefined = undefined;
  private _ongoing: Promise<void> | null = null;

  constructor(options: FastPeriodicExportingMetricReaderOptions) {
    const { exporter, exportIntervalMillis = 60_000, metricProducers, cardinalityLimits } = options;
    let { exportTimeoutMillis = 30_000 } = options;
    if ((options as { maxExportBatchSize?: unknown }).maxExportBatchSize !== undefined) {
      throw new FastMeterConfigError(
        ErrorCode.INVALID_OPTION,
        'maxExportBatchSize is not supported by FastPeriodicExportingMetricReader; use PeriodicExportingMetricReader to split batches',
      );
    }
    super({
      aggregationSelector: exporter.selectAggregation?.bind(exporter) as never,
      aggregationTemporalitySelector: exporter.selectAggregationTemporality?.bind(exporter) as never,
      metricProducers,
      cardinalitySelector: type => cardinalityLimit(cardinalityLimits, type),
    });
    if (exportIntervalMillis <= 0) throw Error('exportIntervalMillis must be greater than 0');
    if (exportTimeoutMillis <= 0) throw Error('exportTimeoutMillis must be greater than 0');
    if (exportIntervalMillis < exportTimeoutMillis) {
      if ('exportIntervalMillis' in options && 'exportTimeoutMillis' in options) {
        throw Error('exportIntervalMillis must be greater than or equal to exportTimeoutMillis');
      }
      diag.info(`Timeout of ${exportTimeoutMillis} exceeds the interval of ${exportIntervalMillis}. Clamping timeout to interval duration.`);
      exportTimeoutMillis = exportIntervalMillis;
    }
    this._exporter = exporter;
    this._exportInterval = exportIntervalMillis;
    this._exportTimeout = exportTimeoutMillis;
    this._budget = sliceBudget(options.sliceBudgetMillis ?? (isColumnExporter(exporter) ? exporter.sliceBudgetMillis : undefined));
  }

  protected override onInitialized(): void {
    this._interval = setInterval(() => void this._runOnce(), this._exportInterval);
    this._interval.unref();
  }

  protected async onForceFlush(): Promise<void> {
    await this._awaitOngoing();
    if (this._ongoing) await this._awaitOngoing();
    else await this._runOnce();
    await this._exporter.forceFlush();
  }

  protected async onShutdown(): Promise<void> {
    if (this._interval) clearInterval(this._interval);
    await this.onForceFlush();
    await this._exporter.shutdown();
  }

  private async _runOnce(): Promise<void> {
    try {
      await this._doRun();
    } catch (err) {
      diag.error('PeriodicExportingMetricReader: export failed', err);
    }
  }

  private async _doRun(): Promise<void> {
    if (this._ongoing) {
      diag.debug('PeriodicExportingMetricReader: export already in progress, skipping');
      return;
    }
    const exporter = this._exporter;
    this._ongoing = isColumnExporter(exporter) && this.isFastPath ? this._fastRun(exporter) : this._standardRun();
    try {
      await this._ongoing;
    } finally {
      this._ongoing = null;
    }
  }

  /** Columns from the typed arrays, encoded in slices, sent through the exporter's transport. */
  private async _fastRun(exporter: ColumnExporter): Promise<void> {
    const slicer = new Slicer(this._budget);
    const collection = await this.collectColumns(slicer, this._exportTimeout);
    if (collection.errors.length > 0) diag.error('PeriodicExportingMetricReader: metrics collection errors', ...collection.errors);
    await resolveResource(collection.resource);
    if (collection.scopes.length === 0) return;
    await this._export(() => withoutTracing(() => exporter.exportColumns(collection, slicer)));
    slicer.finish();
  }

  /** The standard collection and export, for any other exporter or provider. */
  private async _standardRun(): Promise<void> {
    const { resourceMetrics, errors } = await this.collect({ timeoutMillis: this._exportTimeout });
    if (errors.length > 0) diag.error('PeriodicExportingMetricReader: metrics collection errors', ...errors);
    await resolveResource(resourceMetrics.resource);
    if (resourceMetrics.scopeMetrics.length === 0) return;
    await this._export(() => withoutTracing(() => new Promise<ExportResult>(resolve => this._exporter.export(resourceMetrics, resolve))));
  }

  private async _export(send: () => Promise<ExportResult>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError('Operation timed out.')), this._exportTimeout);
    });
    try {
      const result = await Promise.race([send(), timeout]);
      if (result.code !== ExportResultCode.SUCCESS) throw new Error(`PeriodicExportingMetricReader: metrics export failed (error ${result.error})`);
    } catch (err) {
      if (err instanceof TimeoutError) {
        diag.error(`PeriodicExportingMetricReader: metrics export timed out after ${this._exportTimeout}ms`);
        return;
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async _awaitOngoing(): Promise<void> {
    if (this._ongoing === null) return;
    try {
      await this._ongoing;
    } catch {
      // reported by the _runOnce that started it
    }
  }
}

async function resolveResource(resource: { asyncAttributesPending?: boolean; waitForAsyncAttributes?: () => Promise<void> }): Promise<void> {
  if (!resource.asyncAttributesPending) return;
  try {
    await resource.waitForAsyncAttributes?.();
  } catch (e) {
    diag.debug('Error while resolving async portion of resource: ', e);
  }
}

function withoutTracing<T>(fn: () => T): T {
  const active: Context = context.active();
  return context.with(active.setValue(SUPPRESS_TRACING, true), fn);
}

function cardinalityLimit(limits: CardinalityLimits | undefined, type: InstrumentType): number {
  const l = { default: 2000, ...limits };
  switch (type) {
    case InstrumentType.COUNTER:
      return l.counter ?? l.default;
    case InstrumentType.GAUGE:
      return l.gauge ?? l.default;
    case InstrumentType.HISTOGRAM:
      return l.histogram ?? l.default;
    case InstrumentType.OBSERVABLE_COUNTER:
      return l.observableCounter ?? l.default;
    case InstrumentType.OBSERVABLE_UP_DOWN_COUNTER:
      return l.observableUpDownCounter ?? l.default;
    case InstrumentType.OBSERVABLE_GAUGE:
      return l.observableGauge ?? l.default;
    case InstrumentType.UP_DOWN_COUNTER:
      return l.upDownCounter ?? l.default;
    default:
      return l.default;
  }
}
