import { diag } from '@opentelemetry/api';

const WARN_INTERVAL_MS = 10_000;
const MAX_WARN_KEYS = 256;

/** diag.warn at most once per 10 s per kind of problem, with a count of what was suppressed. */
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
    if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
    return String(value);
  } catch {
    return typeof value;
  }
}
