// Timers: elapsed time recorded into a histogram, in seconds (the unit the
// semantic conventions use for every duration, e.g. http.server.request.duration).
//
// The clock is `performance.now()`: monotonic (it never goes backwards when the
// wall clock is adjusted) and sub-microsecond, and it returns a double, so a
// start/end pair allocates nothing (`process.hrtime.bigint()` allocates a BigInt
// per read). The only allocation is the closure `startTimer` returns; `time()`
// on a synchronous function allocates nothing, on an async one the promise
// chained onto the caller's.
//
// Works with any `@opentelemetry/api` histogram (or anything with `record`), not
// only fastmeter's.
import type { Attributes, Histogram } from '@opentelemetry/api';

/** What a timer records into: any histogram of `@opentelemetry/api`. */
export type TimerTarget = Pick<Histogram, 'record'>;

/**
 * Stops a timer: records the seconds elapsed since `startTimer`, with the
 * attributes given to `startTimer` plus `moreAttributes` (which win on equal
 * keys), and returns them. Only the first call records; later calls return the
 * same value and record nothing, so calling it from both `catch` and `finally`
 * does not count twice.
 */
export type EndTimer = (moreAttributes?: Attributes) => number;

const now = () => performance.now();

/** `a` and `b` as one attribute set; no copy when either is absent. */
function merge(a: Attributes | undefined, b: Attributes | undefined): Attributes | undefined {
  if (b === undefined) return a;
  if (a === undefined) return b;
  return { ...a, ...b };
}

/**
 * Starts a timer for `histogram`. Call the returned function when the work is
 * done:
 *
 * ```js
 * const end = startTimer(duration, { 'http.request.method': 'GET' });
 * // ... the work ...
 * end({ 'http.response.status_code': 200 });
 * ```
 */
export function startTimer(histogram: TimerTarget, attributes?: Attributes): EndTimer {
  const start = now();
  let elapsed = -1;
  return (moreAttributes?: Attributes): number => {
    if (elapsed >= 0) return elapsed;
    elapsed = (now() - start) / 1000;
    histogram.record(elapsed, merge(attributes, moreAttributes));
    return elapsed;
  };
}

/**
 * The `error.type` attribute value for a thrown value: the error's class name
 * (`TypeError`, a custom `class TimeoutError extends Error`), as the semantic
 * conventions ask for exceptions, else `_OTHER`.
 */
export function errorType(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const name = (err as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '' && name !== 'Object') return name;
  }
  return '_OTHER';
}

function withError(attributes: Attributes | undefined, err: unknown): Attributes {
  return { ...attributes, 'error.type': errorType(err) };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs `fn` and records how long it took, in seconds, into `histogram`; returns
 * what `fn` returns. For a function returning a promise (an `async` function),
 * the time runs until the promise settles and the returned promise settles the
 * same way. When `fn` throws or its promise rejects, the duration is recorded
 * too, with `error.type` set to the error's class name, and the error is
 * passed on unchanged.
 *
 * ```js
 * const rows = await time(queryDuration, () => db.query(sql), { 'db.operation.name': 'SELECT' });
 * ```
 */
export function time<T>(histogram: TimerTarget, fn: () => T, attributes?: Attributes): T {
  const start = now();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    histogram.record((now() - start) / 1000, withError(attributes, err));
    throw err;
  }
  if (!isThenable(result)) {
    histogram.record((now() - start) / 1000, attributes);
    return result;
  }
  return Promise.resolve(result).then(
    value => {
      histogram.record((now() - start) / 1000, attributes);
      return value;
    },
    err => {
      histogram.record((now() - start) / 1000, withError(attributes, err));
      throw err;
    },
  ) as T;
}
