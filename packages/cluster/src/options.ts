import { ErrorCode, FastMeterConfigError } from '@fastmeter/sdk';

/** An integer option within [min, max], or its default; anything else is the application author's error, thrown at once. */
export function intOption<T extends object>(owner: string, options: T, name: keyof T & string, fallback: number, min: number, max: number): number {
  const value = options[name] as unknown;
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `${owner}: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
