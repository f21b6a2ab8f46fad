// The OTEL_* environment variables, with the names and defaults of the
// OpenTelemetry specification (configuration/sdk-environment-variables.md and
// protocol/exporter.md). An invalid value is reported once, naming the
// variable, the value and the default used instead.
import {
  DEFAULTS,
  type NodeConfig,
  type OtlpExporterConfig,
  type OtlpProtocol,
  type ReaderConfig,
  type Temporality,
  type HistogramAggregation,
} from './model.js';
import { appendMetricsPath, parseKeyValueList, parseUrl, resourceAttributesFromList } from './parse.js';
import type { Reporter } from './report.js';

export type Env = Record<string, string | undefined>;

/** The variables this module reads, for the README table and the tests. */
export const ENV_VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_METRICS_EXPORTER',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_METRIC_EXPORT_TIMEOUT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION',
  'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'OTEL_CONFIG_FILE',
  'OTEL_LOG_LEVEL',
  'FASTMETER_RUNTIME_METRICS',
  'FASTMETER_SELF_METRICS',
  'FASTMETER_PROMETHEUS_SERVER',
  'FASTMETER_PROCESSORS',
  'FASTMETER_PROMETHEUS_FAST',
] as const;

/** A set variable's trimmed value; unset and empty are both "not set" (spec: empty means unset). */
function get(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** The first of `names` that is set, with its name. */
function first(env: Env, ...names: string[]): [string, string] | undefined {
  for (const name of names) {
    const v = get(env, name);
    if (v !== undefined) return [name, v];
  }
  return undefined;
}

/** Spec: only "true" (case-insensitive) is true; anything but true/false/empty warns and means false. */
export function readBoolean(env: Env, name: string, reporter: Reporter, fallback = false): boolean {
  const v = get(env, name);
  if (v === undefined) return fallback;
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  reporter.invalid(name, v, 'expected true or false', String(fallback));
  return fallback;
}

function readInteger(env: Env, names: string[], reporter: Reporter, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const found = first(env, ...names);
  if (found === undefined) return fallback;
  const [name, v] = found;
  const n = Number(v);
  if (!/^[+]?\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || n < min || n > max) {
    reporter.invalid(name, v, `expected an integer from ${min} to ${max}`, `the default, ${fallback}`);
    return fallback;
  }
  return Math.floor(n);
}

function readEnum<T extends string>(env: Env, names: string[], allowed: readonly T[], reporter: Reporter, fallback: T): T {
  const found = first(env, ...names);
  if (found === undefined) return fallback;
  const [name, v] = found;
  const lower = v.toLowerCase() as T;
  if (allowed.includes(lower)) return lower;
  reporter.invalid(name, v, `expected one of ${allowed.join(', ')}`, `the default, ${fallback}`);
  return fallback;
}

const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
const TEMPORALITIES = ['cumulative', 'delta', 'lowmemory'] as const;
const HISTOGRAMS = ['explicit_bucket_histogram', 'base2_exponential_bucket_histogram'] as const;
const EXPORTERS = ['otlp', 'prometheus', 'console', 'none'] as const;

function otlpFromEnv(env: Env, reporter: Reporter): OtlpExporterConfig {
  const protocol: OtlpProtocol = readEnum(env, ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'], PROTOCOLS, reporter, 'http/protobuf');
  const grpc = protocol === 'grpc';
  const defaultEndpoint = grpc ? DEFAULTS.otlpGrpcEndpoint : appendMetricsPath(DEFAULTS.otlpHttpEndpoint);
  let endpoint = defaultEndpoint;
  const signal = get(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const base = get(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (signal !== undefined) {
    // The signal-specific variable is used as is.
    endpoint = parseUrl('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', signal, reporter, `the default, ${defaultEndpoint}`) ?? defaultEndpoint;
  } else if (base !== undefined) {
    const url = parseUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base, reporter, `the default, ${defaultEndpoint}`);
    if (url !== undefined) endpoint = grpc ? url : appendMetricsPath(url);
  }
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS']) {
    const v = get(env, name);
    if (v !== undefined) Object.assign(headers, parseKeyValueList(name, v, reporter));
  }
  return {
    kind: 'otlp',
    protocol,
    endpoint,
    headers,
    timeoutMillis: readInteger(env, ['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'], reporter, DEFAULTS.otlpTimeoutMillis, 0),
    compression: readEnum(env, ['OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION'], ['gzip', 'none'] as const, reporter, 'none'),
    temporality: readTemporality(env, reporter),
    defaultHistogramAggregation: readEnum(
      env,
      ['OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION'],
      HISTOGRAMS,
      reporter,
      'explicit_bucket_histogram',
    ) as HistogramAggregation,
  };
}

function readTemporality(env: Env, reporter: Reporter): Temporality {
  return readEnum(env, ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'], TEMPORALITIES, reporter, 'cumulative');
}

/** Interval and timeout of periodic readers; a timeout above the interval is clamped to it (the reader would refuse it). */
function periodicTiming(env: Env, reporter: Reporter): { intervalMillis: number; timeoutMillis: number } {
  const intervalMillis = readInteger(env, ['OTEL_METRIC_EXPORT_INTERVAL'], reporter, DEFAULTS.exportIntervalMillis, 1);
  let timeoutMillis = readInteger(env, ['OTEL_METRIC_EXPORT_TIMEOUT'], reporter, DEFAULTS.exportTimeoutMillis, 0);
  if (timeoutMillis > intervalMillis) {
    if (get(env, 'OTEL_METRIC_EXPORT_TIMEOUT') !== undefined) {
      reporter.warn(`OTEL_METRIC_EXPORT_TIMEOUT=${timeoutMillis} is above OTEL_METRIC_EXPORT_INTERVAL=${intervalMillis}; using ${intervalMillis}`);
    }
    timeoutMillis = intervalMillis;
  }
  return { intervalMillis, timeoutMillis };
}

function readersFromEnv(env: Env, reporter: Reporter): ReaderConfig[] {
  const raw = get(env, 'OTEL_METRICS_EXPORTER') ?? 'otlp';
  const names: string[] = [];
  for (const part of raw.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '' || names.includes(name)) continue;
    if (!(EXPORTERS as readonly string[]).includes(name)) {
      reporter.invalid('OTEL_METRICS_EXPORTER', raw, `unknown exporter ${JSON.stringify(name)}; known: ${EXPORTERS.join(', ')}`, 'the others');
      continue;
    }
    names.push(name);
  }
  if (names.includes('none')) {
    if (names.length > 1) reporter.warn(`OTEL_METRICS_EXPORTER=${JSON.stringify(raw)} contains "none": no exporter is configured`);
    return [];
  }
  const readers: ReaderConfig[] = [];
  for (const name of names) {
    if (name === 'otlp')
      readers.push({ kind: 'periodic', ...periodicTiming(env, reporter), exporter: otlpFromEnv(env, reporter), cardinalityLimits: undefined });
    else if (name === 'console') {
      readers.push({
        kind: 'periodic',
        ...periodicTiming(env, reporter),
        exporter: { kind: 'console', temporality: readTemporality(env, reporter), defaultHistogramAggregation: 'explicit_bucket_histogram' },
        cardinalityLimits: undefined,
      });
    } else if (name === 'prometheus') {
      readers.push({
        kind: 'prometheus',
        host: get(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? DEFAULTS.prometheusHost,
        port: readInteger(env, ['OTEL_EXPORTER_PROMETHEUS_PORT'], reporter, DEFAULTS.prometheusPort, 0, 65535),
        withoutScopeInfo: false,
        withoutTargetInfo: false,
        server: readBoolean(env, 'FASTMETER_PROMETHEUS_SERVER', reporter, true),
        fast: readBoolean(env, 'FASTMETER_PROMETHEUS_FAST', reporter, false),
        cardinalityLimits: undefined,
      });
    }
  }
  return readers;
}

/** The configuration the environment describes (OTEL_CONFIG_FILE is handled by the caller). */
export function configFromEnv(env: Env, reporter: Reporter): NodeConfig {
  const resourceAttributes = resourceAttributesFromList('OTEL_RESOURCE_ATTRIBUTES', get(env, 'OTEL_RESOURCE_ATTRIBUTES') ?? '', reporter);
  const serviceName = get(env, 'OTEL_SERVICE_NAME');
  if (serviceName !== undefined) resourceAttributes['service.name'] = serviceName;
  return {
    disabled: readBoolean(env, 'OTEL_SDK_DISABLED', reporter),
    resourceAttributes,
    resourceSchemaUrl: undefined,
    readers: readersFromEnv(env, reporter),
    views: [],
    // undefined: the provider reads OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT / OTEL_ATTRIBUTE_COUNT_LIMIT itself.
    attributeValueLengthLimit: undefined,
    attributeCountLimit: undefined,
    runtimeMetrics: runtimeMetricsFromEnv(env, reporter),
    selfMetrics: readBoolean(env, 'FASTMETER_SELF_METRICS', reporter),
    extensions: processorsFromEnv(env, reporter),
    source: 'environment',
  };
}

const PROCESSORS = ['sampler', 'circuit_breaker'];

/**
 * FASTMETER_PROCESSORS: `true` loads @fastmeter/processors with its defaults
 * (adaptive sampler and a circuit breaker around each push exporter), or a
 * comma list of `sampler`, `circuit_breaker` for some of them; `false` or
 * unset: not loaded. The configuration file's `fastmeter.processors` has the
 * options.
 */
export function processorsFromEnv(env: Env, reporter: Reporter): NodeConfig['extensions'] {
  const v = get(env, 'FASTMETER_PROCESSORS');
  if (v === undefined) return {};
  const lower = v.toLowerCase();
  if (lower === 'false') return {};
  if (lower === 'true') return { processors: {} };
  const items = lower
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
  if (items.length === 0 || items.some(i => !PROCESSORS.includes(i))) {
    reporter.invalid('FASTMETER_PROCESSORS', v, `expected true, false or a comma list of ${PROCESSORS.join(', ')}`, 'false');
    return {};
  }
  return { processors: Object.fromEntries(PROCESSORS.map(p => [p, items.includes(p)])) };
}

/**
 * On unless FASTMETER_RUNTIME_METRICS=false, or the auto-instrumentation
 * variables leave `runtime-node` out (OTEL_NODE_DISABLED_INSTRUMENTATIONS lists
 * it, or OTEL_NODE_ENABLED_INSTRUMENTATIONS is set without it), so the switch
 * users already know keeps working.
 */
export function runtimeMetricsFromEnv(env: Env, reporter: Reporter): boolean {
  if (!readBoolean(env, 'FASTMETER_RUNTIME_METRICS', reporter, true)) return false;
  const list = (name: string) =>
    (get(env, name) ?? '')
      .split(',')
      .map(s => s.trim().replace(/^@opentelemetry\/instrumentation-/, ''))
      .filter(Boolean);
  if (list('OTEL_NODE_DISABLED_INSTRUMENTATIONS').includes('runtime-node')) return false;
  const enabled = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  return enabled.length === 0 || enabled.includes('runtime-node');
}
