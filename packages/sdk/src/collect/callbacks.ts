// Observable callbacks of one meter, run at every collection by any reader
// (as in sdk-metrics). A callback that throws, rejects or outlives the
// collection's timeout contributes an error and none of its observations; the
// others are applied.
import {
  type Attributes,
  type BatchObservableCallback,
  type BatchObservableResult,
  type Observable,
  type ObservableCallback,
  type ObservableResult,
  diag,
} from '@opentelemetry/api';
import { DropReason, type Health, describe } from '../common/health.js';
import type { MetricStream } from './stream.js';
import { timeoutError } from './timeout.js';

/** What a callback registry needs of an observable instrument. */
export interface ObservableTarget {
  readonly name: string;
  readonly streams: readonly MetricStream[];
  /** The value to record, or NaN to drop (counted and reported). */
  checkValue(value: unknown): number;
}

/** Our observable instruments, by object: `observe(metric, ...)` accepts only these. */
export const observableTargets = new WeakMap<object, ObservableTarget>();

class SingleResult implements ObservableResult {
  readonly values: number[] = [];
  readonly attributes: (Attributes | undefined)[] = [];
  constructor(
    private readonly _target: ObservableTarget,
    private readonly _health: Health,
  ) {}
  observe(value: number, attributes?: Attributes): void {
    const v = this._target.checkValue(value);
    if (v !== v) return;
    let copy: Attributes | undefined;
    try {
      copy = snapshot(attributes);
    } catch (err) {
      this._health.drop(DropReason.ATTRIBUTES_THREW, this._target.name, `reading the attributes threw: ${describe((err as Error)?.message ?? err)}`);
      return;
    }
    this.values.push(v);
    this.attributes.push(copy);
  }
}

/**
 * Observations are applied after the callback returns, so a callback that
 * reuses one attributes object (`attrs.cpu = i; observe(v, attrs)`) must not
 * see every observation take the last values: keep a shallow copy.
 */
function snapshot(attributes: Attributes | undefined): Attributes | undefined {
  return typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes) ? { ...attributes } : attributes;
}

/** A batch callback's observations, per instrument, in the order observed. */
class BatchResult implements BatchObservableResult {
  readonly byTarget = new Map<ObservableTarget, SingleResult>();
  constructor(private readonly _health: Health) {}
  observe(metric: Observable, value: number, attributes?: Attributes): void {
    const target = observableTargets.get(metric as object);
    if (target === undefined) return;
    let result = this.byTarget.get(target);
    if (result === undefined) this.byTarget.set(target, (result = new SingleResult(target, this._health)));
    result.observe(value, attributes);
  }
}

/** Applies one callback's observations of one instrument to each of its streams. */
function apply(target: ObservableTarget, result: SingleResult, observationMs: number): void {
  if (result.values.length === 0) return;
  for (const stream of target.streams) {
    stream.observationMs = observationMs;
    stream.observeAll(result.values, result.attributes);
    stream.observationMs = undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMillis: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), timeoutMillis);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class CallbackRegistry {
  private readonly _single: { callback: ObservableCallback; target: ObservableTarget }[] = [];
  private readonly _batch: { callback: BatchObservableCallback; targets: Set<ObservableTarget> }[] = [];

  constructor(private readonly _health: Health) {}

  addCallback(callback: ObservableCallback, target: ObservableTarget): void {
    if (typeof callback !== 'function') {
      this._health.warn(`callback:${target.name}`, `fastmeter: addCallback on "${target.name}" needs a function, got ${typeof callback}`);
      return;
    }
    if (this._single.some(r => r.callback === callback && r.target === target)) return;
    this._single.push({ callback, target });
  }

  removeCallback(callback: ObservableCallback, target: ObservableTarget): void {
    const i = this._single.findIndex(r => r.callback === callback && r.target === target);
    if (i >= 0) this._single.splice(i, 1);
  }

  addBatchCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const targets = this._targetsOf(observables);
    if (targets.size === 0) {
      diag.error('BatchObservableCallback is not associated with valid instruments', observables);
      return;
    }
    if (typeof callback !== 'function') {
      this._health.warn('batch-callback', `fastmeter: addBatchObservableCallback needs a function, got ${typeof callback}`);
      return;
    }
    if (this._findBatch(callback, targets) >= 0) return;
    this._batch.push({ callback, targets });
  }

  removeBatchCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const i = this._findBatch(callback, this._targetsOf(observables));
    if (i >= 0) this._batch.splice(i, 1);
  }

  get size(): number {
    return this._single.length + this._batch.length;
  }

  /** Runs every callback; pushes each failure into `errors`. */
  async observe(observationMs: number, timeoutMillis: number | undefined, errors: unknown[]): Promise<void> {
    if (this._single.length === 0 && this._batch.length === 0) return;
    const tasks: Promise<void>[] = [];
    for (const { callback, target } of this._single) {
      tasks.push(
        this._run(callback as (r: unknown) => unknown, new SingleResult(target, this._health), timeoutMillis).then(result =>
          apply(target, result, observationMs),
        ),
      );
    }
    for (const { callback, targets } of this._batch) {
      tasks.push(
        this._run(callback as (r: unknown) => unknown, new BatchResult(this._health), timeoutMillis).then(result => {
          for (const [target, observed] of result.byTarget) {
            if (targets.has(target)) continue;
            for (let i = 0; i < observed.values.length; i++) {
              this._health.drop(DropReason.UNREGISTERED_INSTRUMENT, target.name, 'observed by a batch callback that was not registered for it');
            }
          }
          // In registration order, as sdk-metrics applies a batch callback's observations.
          for (const target of targets) {
            const observed = result.byTarget.get(target);
            if (observed !== undefined) apply(target, observed, observationMs);
          }
        }),
      );
    }
    for (const outcome of await Promise.allSettled(tasks)) {
      if (outcome.status === 'rejected') errors.push(outcome.reason);
    }
  }

  private async _run<R>(callback: (result: R) => unknown, result: R, timeoutMillis: number | undefined): Promise<R> {
    let done = Promise.resolve(callback(result));
    if (timeoutMillis != null) done = withTimeout(done, timeoutMillis);
    await done;
    return result;
  }

  private _targetsOf(observables: Observable[]): Set<ObservableTarget> {
    const targets = new Set<ObservableTarget>();
    if (!Array.isArray(observables)) return targets;
    for (const o of observables) {
      const t = observableTargets.get(o as object);
      if (t !== undefined) targets.add(t);
    }
    return targets;
  }

  private _findBatch(callback: BatchObservableCallback, targets: Set<ObservableTarget>): number {
    return this._batch.findIndex(r => {
      if (r.callback !== callback || r.targets.size !== targets.size) return false;
      for (const t of targets) if (!r.targets.has(t)) return false;
      return true;
    });
  }
}
