// The error a timed-out collection reports. Code written against sdk-metrics
// checks `err instanceof TimeoutError` with sdk-metrics' class, so when
// sdk-metrics can be loaded its own TimeoutError is used (its `name` is 'Error',
// as sdk-metrics sets none); otherwise fastmeter's, named 'TimeoutError'.
//
// sdk-metrics is an optional peer: it is imported lazily, once, in the module
// format of this build (ESM imports its ESM build, CommonJS requires its CJS
// build), which is the copy an application loading both the same way holds.
// (sdk-metrics 2.x has a single CommonJS build; 3.x has both.)

/** fastmeter's own TimeoutError, used when `@opentelemetry/sdk-metrics` is not installed. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

type ErrorClass = new (message: string) => Error;

let sdkTimeoutError: ErrorClass | null | undefined;
let loading: Promise<void> | undefined;

/** Resolves once it is known which class `timeoutError()` uses; never rejects. */
export function loadTimeoutErrorClass(): Promise<void> {
  if (sdkTimeoutError !== undefined) return Promise.resolve();
  loading ??= import('@opentelemetry/sdk-metrics').then(
    m => {
      const found = (m as { TimeoutError?: unknown }).TimeoutError;
      sdkTimeoutError = typeof found === 'function' ? (found as ErrorClass) : null;
    },
    () => {
      sdkTimeoutError = null;
    },
  );
  return loading;
}

export function timeoutError(): Error {
  const message = 'Operation timed out.';
  return sdkTimeoutError ? new sdkTimeoutError(message) : new TimeoutError(message);
}
