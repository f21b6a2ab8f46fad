// Options written by the application author fail fast with a
// FastMeterConfigError (code FM_INVALID_OPTION) naming the option and the value.
import { ErrorCode, FastMeterConfigError } from '@fastmeter/sdk';

export function invalid(name: string, value: unknown, expected: string): never {
  throw new FastMeterConfigError(
    ErrorCode.INVALID_OPTION,
    `${name} must be ${expected}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
  );
}

/** A number in [min, max] (max may be Infinity). */
export function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    invalid(name, value, max === Number.POSITIVE_INFINITY ? `a number >= ${min} (Infinity allowed)` : `a number from ${min} to ${max}`);
  }
  return value;
}

export function checkFunction<T>(name: string, value: T): T {
  if (typeof value !== 'function') invalid(name, value, 'a function');
  return value;
}
