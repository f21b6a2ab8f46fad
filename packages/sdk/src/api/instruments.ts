// Instrument objects handed to the application. Synchronous instruments hold
// the record function chosen at creation; observable ones register callbacks.
import type {
  Attributes,
  BatchObservableCallback,
  Context,
  Counter,
  Gauge,
  Histogram,
  Observable,
  ObservableCallback,
  UpDownCounter,
} from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { DropReason, type Health, describe } from '../common/health.js';
import type { InstrumentDescriptor } from '../common/types.js';
import { type CallbackRegistry, type ObservableTarget, observableTargets } from '../collect/callbacks.js';
import type { MetricStream } from '../collect/stream.js';
import type { RecordFunction } from './record.js';

/** Where `bind()` and tests find an instrument's streams. Not part of the public API. */
export const kStreams = Symbol('fastmeter.streams');
export const kDescriptor = Symbol('fastmeter.descriptor');

export interface InstrumentInternals {
  readonly [kStreams]: readonly MetricStream[];
  readonly [kDescriptor]: InstrumentDescriptor;
}

export class FastCounter implements Counter, InstrumentInternals {
  readonly add: (value: number, attributes?: Attributes, context?: Context) => void;
  readonly [kStreams]: readonly MetricStream[];
  readonly [kDescriptor]: InstrumentDescriptor;
  constructor(record: RecordFunction, streams: readonly MetricStream[], descriptor: InstrumentDescriptor) {
    this.add = record;
    this[kStreams] = streams;
    this[kDescriptor] = descriptor;
  }
}

export class FastUpDownCounter implements UpDownCounter, InstrumentInternals {
  readonly add: (value: number, attributes?: Attributes, context?: Context) => void;
  readonly [kStreams]: readonly MetricStream[];
  readonly [kDescriptor]: InstrumentDescriptor;
  constructor(record: RecordFunction, streams: readonly MetricStream[], descriptor: InstrumentDescriptor) {
    this.add = record;
    this[kStreams] = streams;
    this[kDescriptor] = descriptor;
  }
}

export class FastHistogram implements Histogram, InstrumentInternals {
  readonly record: (value: number, attributes?: Attributes, context?: Context) => void;
  readonly [kStreams]: readonly MetricStream[];
  readonly [kDescriptor]: InstrumentDescriptor;
  constructor(record: RecordFunction, streams: readonly MetricStream[], descriptor: InstrumentDescriptor) {
    this.record = record;
    this[kStreams] = streams;
    this[kDescriptor] = descriptor;
  }
}

export class FastGauge implements Gauge, InstrumentInternals {
  readonly record: (value: number, attributes?: Attributes, context?: Context) => void;
  readonly [kStreams]: readonly MetricStream[];
  readonly [kDescriptor]: InstrumentDescriptor;
  constructor(record: RecordFunction, streams: readonly MetricStream[], descriptor: InstrumentDescriptor) {
    this.record = record;
    this[kStreams] = streams;
    this[kDescriptor] = descriptor;
  }
}

/** ObservableCounter, ObservableUpDownCounter and ObservableGauge. */
export class FastObservable implements Observable, InstrumentInternals {
  readonly [kStreams]: readonly MetricStream[];
  readonly [kDescriptor]: InstrumentDescriptor;
  private readonly _target: ObservableTarget;

  constructor(
    descriptor: InstrumentDescriptor,
    streams: readonly MetricStream[],
    private readonly _callbacks: CallbackRegistry,
    health: Health,
  ) {
    this[kStreams] = streams;
    this[kDescriptor] = descriptor;
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

export type { BatchObservableCallback };

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
