// Configuration problems: each one reported once, naming where it came from
// (the variable or the path in the file), the value, and what is used instead.
// Bad configuration never throws into the application.
//
// The messages go to the `diag` logger when the application registered one,
// else straight to stderr: a setup problem must be visible even in a process
// that never configured OpenTelemetry's diagnostics. OTEL_LOG_LEVEL=none (or
// error) silences warnings, as for every OpenTelemetry SDK.
import { diag } from '@opentelemetry/api';

const PREFIX = '@fastmeter/node:';
const LEVELS: Record<string, number> = { none: 0, error: 1, warn: 2, info: 3, debug: 4, verbose: 5, all: 6 };

function threshold(): number {
  const raw = process.env.OTEL_LOG_LEVEL?.trim().toLowerCase();
  return raw !== undefined && raw in LEVELS ? LEVELS[raw] : LEVELS.info;
}

function diagRegistered(): boolean {
  const api = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[Symbol.for('opentelemetry.js.api.1')];
  return api?.diag !== undefined;
}

export type Level = 'error' | 'warn' | 'info';

/** Writes one message at `level`. */
export function log(level: Level, message: string): void {
  if (LEVELS[level] > threshold()) return;
  if (diagRegistered()) diag[level](`${PREFIX} ${message}`);
  // Without a diag logger only problems are printed: a library writing to stdout at every start would be a surprise.
  else if (level !== 'info') console.warn(`${PREFIX} ${message}`);
}

/** Collects configuration problems; each distinct message is written once. */
export class Reporter {
  readonly problems: string[] = [];
  private readonly _seen = new Set<string>();

  warn(message: string): void {
    if (this._seen.has(message)) return;
    this._seen.add(message);
    this.problems.push(message);
    log('warn', message);
  }

  /** An invalid value: "<where>=<value> is invalid (<why>); using <fallback>". */
  invalid(where: string, value: unknown, why: string, fallback: string): void {
    this.warn(`${where}=${JSON.stringify(value)} is invalid (${why}); using ${fallback}`);
  }
}
