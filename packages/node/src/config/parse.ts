// Value parsers shared by the environment and the configuration file. Each
// returns undefined for an invalid value after reporting it (the caller then
// uses the specification's default).
import type { Attributes } from '@opentelemetry/api';
import type { Reporter } from './report.js';

/**
 * A comma-separated `key=value` list with percent-encoded values, the format of
 * OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS (W3C baggage without
 * properties). On any malformed entry the whole value is discarded, as the
 * specification asks for OTEL_RESOURCE_ATTRIBUTES.
 */
export function parseKeyValueList(where: string, raw: string, reporter: Reporter): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (raw.trim() === '') return out;
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? '' : entry.slice(0, eq).trim();
    if (key === '') {
      reporter.invalid(where, raw, `entry ${JSON.stringify(entry.trim())} is not key=value`, 'none of it');
      return undefined;
    }
    try {
      out[key] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      reporter.invalid(where, raw, `the value of ${key} is not valid percent-encoding`, 'none of it');
      return undefined;
    }
  }
  return out;
}

/** An absolute http(s) URL. */
export function parseUrl(where: string, raw: string, reporter: Reporter, fallback: string): string | undefined {
  try {
    const url = new URL(raw.trim());
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {}
  reporter.invalid(where, raw, 'not an absolute http(s) URL', fallback);
  return undefined;
}

/** The metrics URL from OTEL_EXPORTER_OTLP_ENDPOINT: the base with `v1/metrics` appended (spec: OTLP exporter, endpoint URLs for OTLP/HTTP). */
export function appendMetricsPath(base: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}v1/metrics`;
}

/** Resource attributes given as a list; string values only, as OTEL_RESOURCE_ATTRIBUTES gives them. */
export function resourceAttributesFromList(where: string, raw: string, reporter: Reporter): Attributes {
  return parseKeyValueList(where, raw, reporter) ?? {};
}
