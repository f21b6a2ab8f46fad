// Instrument objects handed to the application. Synchronous instruments hold
// the record function chosen at creation; observable ones register callbacks.
import type { Attributes, Context, Counter, Gauge, Histogram, Observable, ObservableCallback, UpDownCounter } from '@opentelemetry/api';
import { ValueType, diag } from '@opentelemetry/api';
import { DropReason, type Health, describe } from '../common/health.js';
import type { InstrumentDescriptor } from '../common/types.js';
import { type CallbackRegistry, type ObservableTarget, observableTargets } from '../collect/callbacks.js';
import type { MetricStream } from '../collect/stream.js';
import type { MeasurementProcessor } from './processor.js';
import type { RecordFunction } from './record.js';

/**
 * Where `bind()` and `removeSeries()` find what an instrument records into. A
 * registry symbol, so that every copy of @fastmeter/sdk in a process finds it:
 * an application that loads the package through both `import` and `require`
 * holds two copies (the ES module and CommonJS builds). `.v1` names the
 * contract of `CopyApi` below; a change to it needs a new key.
 */
export const kInternals = Symbol.for('@fastmeter/sdk.instrument.v1');
/** How a copy of the package recognises an instrument of another, incompatible one (to warn). */
export const INTERNALS_KEY_PREFIX = '@fastmeter/sdk.instrument.';

/**
 * The functions of the copy that created an instrument. Another copy delegates
 * to them instead of touching streams and cells whose classes it does not share.
 */
export interface CopyApi {
  bind(instrument: object, attributes: Attributes | undefined, context: Context | undefined): unknown;
  removeSeries(instrument: object, attributes: Attributes | undefined): boolean;
}

export interface InstrumentInternals {
  readonly streams: readonly MetricStream[];
  readonly descriptor: InstrumentDescriptor;
  readonly health: Health;
  readonly processors: readonly MeasurementProcessor[];
  readonly copy: CopyApi;
}

export class FastCounter implements Counter {
  readonly add: (value: number, attributes?: Attributes, context?: Context) => void;
  readonly [kInternals]: InstrumentInternals;
  constructor(record: RecordFunction, internals: InstrumentInternals) {
    this.add = record;
    this[kInternals] = internals;
  }
}

export class FastUpDownCounter implements UpDownCounter {
  readonly add: (value: number, attributes?: Attributes, context?: Context) => void;
  readonly [kInternals]: InstrumentInternals;
  constructor(record: RecordFunction, internals: InstrumentInternals) {
    this.add = record;
    this[kInternals] = internals;
  }
}

export class FastHistogram implements Histogram {
  readonly record: (value: number, attributes?: Attributes, context?: Context) => void;
  readonly [kInternals]: InstrumentInternals;
  constructor(record: RecordFunction, internals: InstrumentInternals) {
    this.record = record;
    this[kInternals] = internals;
  }
}

export class FastGauge implements Gauge {
  readonly record: (value: number, attributes?: Attributes, context?: Context) => void;
  readonly [kInternals]: InstrumentInternals;
  constructor(record: RecordFunction, internals: InstrumentInternals) {
    this.record = record;
    this[kInternals] = internals;
  }
}

/** ObservableCounter, ObservableUpDownCounter and ObservableGauge. */
export class FastObservable implements Observable {
  readonly [kInternals]: InstrumentInternals;
  private readonly _target: ObservableTarget;

  constructor(
    descriptor: InstrumentDescriptor,
    streams: readonly MetricStream[],
    private readonly _callbacks: CallbackRegistry,
    health: Health,
    copy: CopyApi,
  ) {
    this[kInternals] = { streams, descriptor, health, processors: [], copy };
    const int = descriptor.valueType === ValueType.INT;
    this._target = {
      name: descriptor.name,
      streams,
      checkValue: value => checkObservedValue(value, int, descriptor.name, health),
    };
    observableTargets.set(this, this._target);
  }

  addCallback(callback: ObservableCallback): void {
    this._callbacks.addCallback(callback, this._target);
  }

  removeCallback(callback: ObservableCallback): void {
    this._callbacks.removeCallback(callback, this._target);
  }
}

/** Observed values: numbers only, finite; INT instruments truncate fractional values. NaN means drop. */
function checkObservedValue(value: unknown, int: boolean, name: string, health: Health): number {
  if (typeof value !== 'number') {
    health.drop(DropReason.NOT_A_NUMBER, name, `observed value must be a number, got ${describe(value)}`);
    return Number.NaN;
  }
  if (value !== value) {
    health.drop(DropReason.NAN, name, 'observed value is NaN');
    return Number.NaN;
  }
  if (value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) {
    health.drop(DropReason.INFINITE, name, `observed value is ${value}`);
    return Number.NaN;
  }
  if (int && Math.trunc(value) !== value) {
    health.truncated++;
    health.warn(`truncate:${name}`, `fastmeter: INT instrument "${name}" observed ${value}; the fractional digits are ignored`);
    return Math.trunc(value);
  }
  return value;
}

let warnedIncompatible = false;

/**
 * `bind`/`removeSeries` got an instrument that is fastmeter's but from a copy
 * of the package with another contract (another major version): they cannot
 * reach its series. Warned once per process; `bind` then forwards to add/record.
 */
export function warnIfIncompatibleCopy(instrument: unknown, what: string): void {
  if (warnedIncompatible || instrument === null || typeof instrument !== 'object') return;
  const key = Object.getOwnPropertySymbols(instrument).find(s => Symbol.keyFor(s)?.startsWith(INTERNALS_KEY_PREFIX));
  if (key === undefined) return;
  warnedIncompatible = true;
  diag.warn(
    `fastmeter: ${what}() got an instrument of an incompatible copy of @fastmeter/sdk (${Symbol.keyFor(key)}, this copy understands ${Symbol.keyFor(kInternals)}); install a single version of @fastmeter/sdk`,
  );
}
