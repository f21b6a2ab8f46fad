// The slow half of the record path's value check (the fast half is the SDK's
// `accept`): everything else (drop with a rate-limited warning, or
// truncate an INT instrument's fractional value) happens in `slow`.
import { type Warnings, describe } from '@fastmeter/sdk/internal';

export class ValueCheck {
  /** Measurements dropped by this check (bad values). */
  dropped = 0;

  constructor(
    private readonly _name: string,
    readonly monotonic: boolean,
    readonly int: boolean,
    private readonly _warnings: Warnings,
  ) {}

  /** NaN to drop the measurement, else the value to record. */
  slow(value: unknown): number {
    let reason: string | undefined;
    if (typeof value !== 'number') reason = `value must be a number, got ${describe(value)}`;
    else if (value !== value) reason = 'value is NaN';
    else if (value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) reason = `value is ${value}`;
    else if (this.monotonic && value < 0) reason = `value must not be negative, got ${value}`;
    if (reason !== undefined) {
      this.dropped++;
      this._warnings.warn(`drop:${this._name}`, `fastmeter: dropped a measurement on "${this._name}" in a worker: ${reason}`);
      return Number.NaN;
    }
    const n = value as number;
    if (this.int && Math.trunc(n) !== n) {
      this._warnings.warn(`truncate:${this._name}`, `fastmeter: INT instrument "${this._name}" got ${n}; the fractional digits are ignored`);
      return Math.trunc(n);
    }
    return n;
  }
}
