import { type Meter, type MeterOptions, type MeterProvider, createNoopMeter, diag } from '@opentelemetry/api';
import { defaultResource } from '@opentelemetry/resources';
import { ErrorCode, FastMeterConfigError } from '../common/errors.js';
import { Health } from '../common/health.js';
import { describe, describeValue } from '../common/warnings.js';
import type { IMetricReader, Resource, ViewOptions } from '../common/types.js';
import { ReaderProducer } from '../collect/producer.js';
import type { AttributeLimits } from '../intern/normalize.js';
import { compileView } from '../view/view.js';
import { FastMeter } from './meter.js';
import type { MeasurementProcessor } from './processor.js';
import { Host, attachProcessors } from './processor-host.js';
import { SELF_METER_NAME, registerSelfMetrics } from './self-metrics.js';
import type { MetricStream } from '../collect/stream.js';
import { VERSION } from '../version.js';
import type { CollectHook, ProviderState, ReaderSlot } from './state.js';

export interface FastMeterProviderOptions {
  /** As in sdk-metrics: defaults to `defaultResource()` from @opentelemetry/resources. */
  resource?: Resource;
  /** sdk-metrics `ViewOptions` objects, validated with the same errors. */
  views?: ViewOptions[];
  /** Any MetricReader (PrometheusExporter, PeriodicExportingMetricReader, ...) from sdk-metrics 2.x or 3.x. */
  readers?: IMetricReader[];
  /**
   * Longer string attribute values are truncated. Default: OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, else no limit.
   */
  attributeValueLengthLimit?: number;
  /** At most this many attributes per measurement. Default: OTEL_ATTRIBUTE_COUNT_LIMIT, else 128. */
  attributeCountLimit?: number;
  /** Measurement processors (see @fastmeter/processors), applied in order. */
  processors?: MeasurementProcessor[];
  /**
   * Provider-wide limit on series created per second, all streams together.
   * Past it, measurements of new attribute sets go to the overflow series
   * `{ "otel.metric.overflow": true }` until the budget refills. Default: no limit.
   */
  maxNewSeriesPerSecond?: number;
  /**
   * Budget for the attribute intern tables: the most entries all streams may
   * hold together (one per series, plus up to 3 cached caller key orders each).
   * Past it, new series go to overflow. Default: 1,000,000.
   */
  internBudget?: number;
  /** Export fastmeter's own metrics under the meter "fastmeter" (see the README). Default: false. */
  selfMetrics?: boolean;
  /**
   * Opt-in eviction for cumulative streams: a series that receives no
   * measurement (or observation) for `idleCollections` consecutive collections
   * of its stream, by any reader, is removed from the export and frees its slot;
   * if it comes back it is a new series with a new start time. Delta streams
   * always reclaim series idle for one interval. Default: off, as in sdk-metrics.
   */
  cumulativeEviction?: { idleCollections: number };
  /**
   * As in sdk-metrics (experimental there): readers from sdk-metrics record their
   * collection duration, `otel.sdk.metric_reader.collection.duration`, under the
   * meter "@opentelemetry/sdk-metrics" of this provider. Independent of `selfMetrics`.
   */
  sdkMetricsEnabled?: boolean;
}

const DEFAULT_INTERN_BUDGET = 1_000_000;

function envLimit(name: string): number | undefined {
  const raw = typeof process !== 'undefined' ? process.env?.[name] : undefined;
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 0) return n;
  diag.warn(`fastmeter: ignoring ${name}=${JSON.stringify(raw)}: not a non-negative integer`);
  return undefined;
}

/** A non-negative integer, or Infinity where that means "no limit"; `integer: false` also takes fractions. */
function optionLimit(name: string, value: unknown, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || (integer && !Number.isInteger(value) && value !== Number.POSITIVE_INFINITY)) {
    throw new FastMeterConfigError(
      ErrorCode.INVALID_OPTION,
      `${name} must be a non-negative ${integer ? 'integer' : 'number'} (or Infinity for no limit), got ${describeValue(value)}`,
    );
  }
  return value;
}

function optionArray<T>(name: string, value: T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `${name} must be an array, got ${describeValue(value)}`);
  return value;
}

function optionBoolean(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

function evictionOption(option: FastMeterProviderOptions['cumulativeEviction']): number {
  if (option === undefined) return 0;
  const n = option?.idleCollections;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 0xfffe) {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `cumulativeEviction.idleCollections must be an integer from 1 to 65534, got ${describeValue(n)}`);
  }
  return n;
}

/**
 * `sdkMetricsEnabled: true`: as sdk-metrics' MeterProvider does, hand the provider
 * to each reader that supports it (sdk-metrics' MetricReader, 2.x and 3.x), which
 * then records `otel.sdk.metric_reader.collection.duration` (unit s, attributes
 * otel.component.type / otel.component.name / error.type) under the meter
 * "@opentelemetry/sdk-metrics" of this provider. The reader's own code measures
 * and records, so the data is what sdk-metrics exports. sdk-metrics checks
 * `instanceof` its own MetricReader; fastmeter duck-types (any copy).
 */
function enableReaderMetrics(reader: IMetricReader, provider: MeterProvider): void {
  const hook = (reader as { _setSelfObsMeterProvider?: unknown })._setSelfObsMeterProvider;
  if (typeof hook !== 'function') return;
  try {
    hook.call(reader, provider);
  } catch (err) {
    diag.warn(`fastmeter: sdkMetricsEnabled: the reader's self-metrics could not be enabled (${describe((err as Error)?.message ?? err)})`);
  }
}

/** Every option FastMeterProviderOptions documents; anything else is most likely a typo (warned once). */
const KNOWN_OPTIONS = new Set([
  'resource',
  'views',
  'readers',
  'attributeValueLengthLimit',
  'attributeCountLimit',
  'processors',
  'maxNewSeriesPerSecond',
  'internBudget',
  'selfMetrics',
  'cumulativeEviction',
  'sdkMetricsEnabled',
]);

function checkOptions(options: unknown): FastMeterProviderOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `FastMeterProvider options must be an object, got ${describeValue(options)}`);
  }
  const unknown = Object.keys(options).filter(k => !KNOWN_OPTIONS.has(k));
  if (unknown.length > 0) {
    diag.warn(
      `fastmeter: ignoring unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map(k => describe(k)).join(', ')} of FastMeterProvider (known: ${[...KNOWN_OPTIONS].join(', ')})`,
    );
  }
  const resource = (options as FastMeterProviderOptions).resource;
  if (resource !== undefined && (resource === null || typeof resource !== 'object')) {
    throw new FastMeterConfigError(
      ErrorCode.INVALID_OPTION,
      `resource must be a Resource (e.g. from resourceFromAttributes()), got ${describeValue(resource)}`,
    );
  }
  return options as FastMeterProviderOptions;
}

function checkReader(reader: unknown, i: number): IMetricReader {
  const r = reader as Partial<IMetricReader> | null;
  for (const method of ['setMetricProducer', 'selectAggregation', 'selectAggregationTemporality', 'collect', 'shutdown', 'forceFlush'] as const) {
    if (r == null || typeof r[method] !== 'function') {
      throw new FastMeterConfigError(ErrorCode.INVALID_READER, `readers[${i}] is not a MetricReader: it has no ${method}() method`);
    }
  }
  return r as IMetricReader;
}

/**
 * A drop-in replacement for @opentelemetry/sdk-metrics' MeterProvider: same
 * options, same readers and exporters, same exported data; measurements are
 * recorded without a string key, a clock read or an allocation.
 */
export class FastMeterProvider implements MeterProvider {
  private readonly _state: ProviderState;
  private readonly _meters = new Map<string, FastMeter>();
  private _shutdown = false;
  private readonly _detachProcessors: () => void;

  constructor(options: FastMeterProviderOptions = {}) {
    options = checkOptions(options);
    const views = optionArray('views', options.views).map(compileView);
    const readers: ReaderSlot[] = optionArray('readers', options.readers).map((r, index) => ({ index, reader: checkReader(r, index) }));
    const limits: AttributeLimits = {
      valueLengthLimit: optionLimit(
        'attributeValueLengthLimit',
        options.attributeValueLengthLimit,
        envLimit('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? Number.POSITIVE_INFINITY,
      ),
      countLimit: optionLimit('attributeCountLimit', options.attributeCountLimit, envLimit('OTEL_ATTRIBUTE_COUNT_LIMIT') ?? 128),
    };
    const processors = optionArray('processors', options.processors);
    for (const [i, p] of processors.entries()) {
      if (p == null || typeof (p as MeasurementProcessor).wrap !== 'function') {
        throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `processors[${i}] has no wrap() method`);
      }
    }
    const health = new Health();
    health.internBudget = optionLimit('internBudget', options.internBudget, DEFAULT_INTERN_BUDGET);
    if (options.maxNewSeriesPerSecond !== undefined) {
      health.setSeriesRateLimit(optionLimit('maxNewSeriesPerSecond', options.maxNewSeriesPerSecond, Number.POSITIVE_INFINITY, false));
    }
    this._state = {
      resource: options.resource ?? (defaultResource() as unknown as Resource),
      views,
      readers,
      health,
      limits,
      processors,
      collectHooks: [],
      seriesObservers: [],
      evictIdleCollections: evictionOption(options.cumulativeEviction),
    };
    const sdkMetricsEnabled = optionBoolean('sdkMetricsEnabled', options.sdkMetricsEnabled);
    for (const slot of readers) {
      slot.reader.setMetricProducer(new ReaderProducer(this._state, this._meters, slot.index));
      if (sdkMetricsEnabled) enableReaderMetrics(slot.reader, this);
    }
    let selfMeter: Meter | undefined;
    if (optionBoolean('selfMetrics', options.selfMetrics)) {
      selfMeter = this.getMeter(SELF_METER_NAME, VERSION);
      registerSelfMetrics(selfMeter, health, () => this._streams());
    }
    this._detachProcessors = attachProcessors(processors, new Host(selfMeter, health, health.seriesRateLimit), health);
  }

  private *_streams(): Iterable<MetricStream> {
    for (const meter of this._meters.values()) yield* meter.streams.all();
  }

  getMeter(name: string, version = '', options: MeterOptions = {}): Meter {
    if (this._shutdown) {
      diag.warn('A shutdown MeterProvider cannot provide a Meter');
      return createNoopMeter();
    }
    if (typeof name !== 'string' || name === '') {
      this._state.health.warn('meter-name', `fastmeter: invalid meter name ${JSON.stringify(String(name))}; using ''`);
      name = '';
    }
    const schemaUrl = options?.schemaUrl;
    const id = `${name}:${version ?? ''}:${schemaUrl ?? ''}`;
    let meter = this._meters.get(id);
    if (meter === undefined) {
      meter = new FastMeter(this._state, { name, version, schemaUrl });
      this._meters.set(id, meter);
    }
    return meter;
  }

  /**
   * Integration point for companion packages (e.g. @fastmeter/workers): `hook`
   * runs at the start of every collection by any reader, before observable
   * callbacks, and may record into this provider's instruments. A hook that
   * throws or rejects adds an error to that collection's `errors`. Returns a
   * function that removes the hook.
   */
  addCollectHook(hook: CollectHook): () => void {
    if (typeof hook !== 'function') throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, 'addCollectHook needs a function');
    this._state.collectHooks.push(hook);
    return () => {
      const i = this._state.collectHooks.indexOf(hook);
      if (i >= 0) this._state.collectHooks.splice(i, 1);
    };
  }

  async forceFlush(options?: { timeoutMillis?: number }): Promise<void> {
    if (this._shutdown) {
      diag.warn('invalid attempt to force flush after MeterProvider shutdown');
      return;
    }
    await Promise.all(this._state.readers.map(slot => slot.reader.forceFlush(options)));
  }

  /** Shuts every reader down (they flush what was recorded). Only the first call does anything. */
  async shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    if (this._shutdown) {
      diag.warn('shutdown may only be called once per MeterProvider');
      return;
    }
    this._shutdown = true;
    this._detachProcessors();
    await Promise.all(this._state.readers.map(slot => slot.reader.shutdown(options)));
  }
}
