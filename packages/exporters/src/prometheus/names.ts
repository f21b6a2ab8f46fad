// Prometheus names, label pairs and values exactly as
// @opentelemetry/exporter-prometheus renders them (0.223 and 0.301 agree on all
// of this): the output must be byte-identical to that exporter's.
import { diag } from '@opentelemetry/api';
import { DataPointType } from '@fastmeter/sdk';

/** Backslash and newline are escaped in HELP/UNIT text and names. */
export function escapeString(str: string): string {
  return str.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A label value: strings as they are, anything else as JSON, then escaped (backslash, newline, quote). */
export function escapeAttributeValue(value: unknown = ''): string {
  const str = typeof value === 'string' ? value : JSON.stringify(value);
  return escapeString(str).replace(/"/g, '\\"');
}

const INVALID_CHARACTERS = /[^a-z0-9_]/gi;
const MULTIPLE_UNDERSCORES = /_{2,}/g;

/** Characters outside [a-zA-Z0-9_] become `_`; runs of `_` collapse to one. */
export function sanitizeName(name: string): string {
  return name.replace(INVALID_CHARACTERS, '_').replace(MULTIPLE_UNDERSCORES, '_');
}

export type PromType = 'counter' | 'gauge' | 'histogram' | 'untyped';

export function prometheusType(dataPointType: DataPointType, isMonotonic: boolean): PromType {
  switch (dataPointType) {
    case DataPointType.SUM:
      return isMonotonic ? 'counter' : 'gauge';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    default:
      return 'untyped';
  }
}

/**
 * The exposition name of a metric: escaped, sanitised, prefixed, `_` before a
 * leading digit, `_total` on monotonic sums. Undefined (with the standard
 * exporter's diag.error) when nothing usable is left.
 */
export function metricName(name: string, prefix: string, dataPointType: DataPointType, isMonotonic: boolean): string | undefined {
  let out = sanitizeName(escapeString(name));
  if (prefix !== '') out = `${prefix}${out}`;
  if (out === '') {
    diag.error(`Normalization for metric "${name}" resulted in empty name`);
    return undefined;
  }
  if (out === '_') {
    diag.error(`Normalization for metric "${name}" resulted in an invalid name: "_"`);
    return undefined;
  }
  if (out[0] >= '0' && out[0] <= '9') out = `_${out}`;
  if (!out.endsWith('_total') && dataPointType === DataPointType.SUM && isMonotonic) out += '_total';
  return out;
}

/** `k="v",...` for every own enumerable entry of `attributes`, in enumeration order. */
export function labelPairs(attributes: object | undefined): string {
  if (attributes === undefined) return '';
  let out = '';
  for (const [key, value] of Object.entries(attributes)) {
    out += `${out.length > 0 ? ',' : ''}${sanitizeName(key)}="${escapeAttributeValue(value)}"`;
  }
  return out;
}

/** Milliseconds of an HrTime as @opentelemetry/core's hrTimeToMilliseconds computes them. */
export function hrTimeToMilliseconds(time: readonly [number, number]): number {
  return Math.round(time[0] * 1e3 + time[1] / 1e6);
}
