// Two error regimes (see docs/errors.md):
//  - configuration written by the application author (provider options, views)
//    fails fast with a FastMeterConfigError carrying a stable code;
//  - everything reachable from @opentelemetry/api never throws: bad input is
//    dropped, counted by reason and reported through a rate-limited diag warning.

export const ErrorCode = {
  /** A view has no instrument or meter selector. */
  VIEW_NO_SELECTOR: 'FM_VIEW_NO_SELECTOR',
  /** A view renames its stream but may select more than one instrument. */
  VIEW_NAME_NEEDS_SINGLE_INSTRUMENT: 'FM_VIEW_NAME_NEEDS_SINGLE_INSTRUMENT',
  /** An aggregation option has an unknown `type`. */
  AGGREGATION_UNSUPPORTED: 'FM_AGGREGATION_UNSUPPORTED',
  /** An explicit-bucket histogram option without `boundaries`. */
  HISTOGRAM_BOUNDARIES_MISSING: 'FM_HISTOGRAM_BOUNDARIES_MISSING',
  /** A provider option has the wrong type or range. */
  INVALID_OPTION: 'FM_INVALID_OPTION',
  /** A reader does not implement the MetricReader contract. */
  INVALID_READER: 'FM_INVALID_READER',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Brand on every FastMeterConfigError's prototype, in every copy of the package (ESM and CommonJS builds). */
const kConfigError = Symbol.for('@fastmeter/sdk.FastMeterConfigError');

export class FastMeterConfigError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'FastMeterConfigError';
    this.code = code;
  }

  /**
   * `err instanceof FastMeterConfigError` holds for errors thrown by any copy of
   * @fastmeter/sdk in the process: an application that loads it through both
   * `import` and `require` holds two classes of that name.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [kConfigError]?: unknown })[kConfigError] === true;
  }
}
Object.defineProperty(FastMeterConfigError.prototype, kConfigError, { value: true });
