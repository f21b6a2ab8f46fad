// Reading a parsed configuration tree with the path of every value, so that
// each problem names where it is (`meter_provider.views[2].stream.aggregation`)
// and every key nobody read is reported as unsupported instead of ignored.
import type { Reporter } from './report.js';

export type Plain = Record<string, unknown>;

export class Walk {
  constructor(
    readonly reporter: Reporter,
    /** Prefix for messages: the file's name. */
    readonly file: string,
  ) {}

  private _where(path: string): string {
    return `${this.file}: ${path}`;
  }

  invalid(path: string, value: unknown, why: string, fallback: string): void {
    this.reporter.warn(`${this._where(path)} = ${JSON.stringify(value)} is invalid (${why}); using ${fallback}`);
  }

  unsupported(path: string, why = 'not supported by @fastmeter/node'): void {
    this.reporter.warn(`${this._where(path)} is ${why}; ignored`);
  }

  /** The mapping at `path`, or undefined (null and absent are "not set"; another type is reported). */
  object(value: unknown, path: string): Plain | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object' && !Array.isArray(value)) return value as Plain;
    this.invalid(path, value, 'expected a mapping', 'nothing');
    return undefined;
  }

  /** The sequence at `path`, or []. */
  list(value: unknown, path: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.invalid(path, value, 'expected a list', 'nothing');
    return [];
  }

  /** Reports keys of `obj` not in `known` (keys in `silent` are skipped quietly). */
  rest(obj: Plain, path: string, known: readonly string[], silent: readonly string[] = []): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key) || silent.includes(key)) continue;
      this.unsupported(path === '' ? key : `${path}.${key}`);
    }
  }

  string(value: unknown, path: string, fallback: string | undefined): string | undefined {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.invalid(path, value, 'expected a string', fallback === undefined ? 'nothing' : JSON.stringify(fallback));
    return fallback;
  }

  boolean(value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    this.invalid(path, value, 'expected true or false', String(fallback));
    return fallback;
  }

  integer(value: unknown, path: string, fallback: number, min: number, max?: number): number;
  integer(value: unknown, path: string, fallback: undefined, min: number, max?: number): number | undefined;
  integer(value: unknown, path: string, fallback: number | undefined, min: number, max: number = Number.MAX_SAFE_INTEGER): number | undefined {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    this.invalid(path, value, `expected an integer from ${min} to ${max}`, fallback === undefined ? 'no limit' : `the default, ${fallback}`);
    return fallback;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], fallback: T): T {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.invalid(path, value, `expected one of ${allowed.join(', ')}`, `the default, ${fallback}`);
    return fallback;
  }

  /** A mapping with exactly one key (the schema's "one of" objects); returns [key, body]. */
  single(value: unknown, path: string): [string, unknown] | undefined {
    const obj = this.object(value, path);
    if (obj === undefined) return undefined;
    const keys = Object.keys(obj);
    if (keys.length !== 1) {
      this.invalid(path, value, `expected exactly one key, found ${keys.length === 0 ? 'none' : keys.join(', ')}`, 'nothing');
      return undefined;
    }
    return [keys[0], obj[keys[0]]];
  }
}
