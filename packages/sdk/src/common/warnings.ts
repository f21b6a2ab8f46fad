import { diag } from '@opentelemetry/api';

const WARN_INTERVAL_MS = 10_000;
const MAX_WARN_KEYS = 512;

/**
 * diag.warn at most once per 10 s per kind of problem (`key`), with a count of
 * what was suppressed in between. Bad input on a hot loop never floods the log.
 */
export class Warnings {
  private readonly _last = new Map<string, { at: number; suppressed: number }>();

  warn(key: string, message: string): void {
    const now = Date.now();
    let entry = this._last.get(key);
    if (entry === undefined) {
      if (this._last.size >= MAX_WARN_KEYS) this._last.clear();
      entry = { at: now, suppressed: 0 };
      this._last.set(key, entry);
      diag.warn(message);
      return;
    }
    if (now - entry.at < WARN_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry.suppressed;
    entry.at = now;
    entry.suppressed = 0;
    diag.warn(suppressed > 0 ? `${message} (${suppressed} similar messages suppressed)` : message);
  }
}

/** A short, safe description of any value for a diagnostic message. */
export function describe(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
    if (typeof value === 'symbol' || typeof value === 'bigint') return value.toString();
    if (typeof value === 'function') return 'a function';
    if (value === null || typeof value !== 'object') return String(value);
    return Array.isArray(value) ? 'an array' : 'an object';
  } catch {
    return 'an unprintable value';
  }
}

/** `describe` plus the value's type, for configuration errors: `"500" (a string)`, `NaN (a number)`. */
export function describeValue(value: unknown): string {
  const type = typeof value;
  if (value === null || value === undefined || type === 'object' || type === 'function') return describe(value);
  return `${describe(value)} (a ${type})`;
}
