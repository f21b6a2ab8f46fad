import { DashboardConfigError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration in milliseconds from a number (ms) or a Prometheus-style string:
 * '250ms', '30s', '5m', '4h', '1h30m', '1d'.
 */
export function parseDuration(value: unknown, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
    if (parts.length > 0 && parts.map(p => p[0]).join('') === text) return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]], 0);
  }
  throw new DashboardConfigError('FM_DURATION', `${what}: expected a duration such as 30s, 5m, 4h or a number of milliseconds, got ${JSON.stringify(value)}`);
}

/** '4h', '5m', '30s', '1m30s', '250ms': the inverse of parseDuration for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const out: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      out.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || out.length === 0) out.push(`${s}s`);
  return out.join('');
}
