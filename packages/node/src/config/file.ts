// OTEL_CONFIG_FILE: an OpenTelemetry declarative configuration file
// (open-telemetry/opentelemetry-configuration, file_format 1.x), YAML or JSON.
// @fastmeter/node reads what concerns metrics: `meter_provider` (readers, views,
// per-reader cardinality_limits), `resource`, `attribute_limits`, `disabled`,
// plus a `fastmeter` section of its own. When the file is used, the other
// OTEL_* variables are ignored, as the specification says. Keys it does not
// support are reported with their path; other signals' sections
// (tracer_provider, logger_provider, propagator, instrumentation) are left to
// the tools that handle them and reported once, at info level.
import { readFileSync } from 'node:fs';
import type * as YAML from 'yaml';
import { AggregationType, InstrumentType, type ViewOptions, createAllowListAttributesProcessor, createDenyListAttributesProcessor } from '@fastmeter/sdk';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { load } from '../setup/load.js';
import type { Env } from './env.js';
import {
  type CardinalityLimits,
  type ConsoleExporterConfig,
  DEFAULTS,
  type ExtensionsConfig,
  type HistogramAggregation,
  type NodeConfig,
  type OtlpExporterConfig,
  type ReaderConfig,
  type Temporality,
} from './model.js';
import { parseKeyValueList } from './parse.js';
import { log, type Reporter } from './report.js';
import { SubstitutionError, substituteDocument } from './substitute.js';
import { type Plain, Walk } from './walk.js';

/** The newest file_format minor this reader knows; newer 1.x files are read with a warning. */
const KNOWN_MINOR = 1;
const OTHER_SIGNALS = ['tracer_provider', 'logger_provider', 'propagator', 'instrumentation/development', 'instrumentation'];

export class ConfigFileError extends Error {}

/** Reads, substitutes and parses the file; throws ConfigFileError when it cannot be used at all. */
export function readConfigFile(path: string, env: Env): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const yaml = load<typeof YAML>('yaml');
  // JSON is YAML 1.2, so one parser reads both.
  const doc = yaml.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigFileError(`cannot parse ${path}: ${doc.errors[0].message}`);
  try {
    substituteDocument(yaml, doc, env);
  } catch (err) {
    if (err instanceof SubstitutionError) throw new ConfigFileError(`${path}: ${err.message}`);
    throw err;
  }
  const root = doc.toJS();
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new ConfigFileError(`${path}: the document is not a mapping`);
  return root as Plain;
}

/**
 * The configuration described by the file at `path`. Throws ConfigFileError
 * when the file cannot be used at all (unreadable, not YAML, wrong
 * file_format major); every other problem is reported and replaced by its
 * default.
 */
export function configFromFile(path: string, env: Env, reporter: Reporter): NodeConfig {
  const root = readConfigFile(path, env);
  const w = new Walk(reporter, path);
  checkFileFormat(root.file_format, path, w);
  const present = OTHER_SIGNALS.filter(k => k in root);
  if (present.length > 0) log('info', `${path}: ${present.join(', ')} ${present.length > 1 ? 'are' : 'is'} not read by @fastmeter/node (metrics only)`);
  w.rest(root, '', ['file_format', 'disabled', 'resource', 'meter_provider', 'attribute_limits', 'fastmeter', 'log_level'], OTHER_SIGNALS);

  const limits = w.object(root.attribute_limits, 'attribute_limits') ?? {};
  w.rest(limits, 'attribute_limits', ['attribute_value_length_limit', 'attribute_count_limit']);
  const mp = w.object(root.meter_provider, 'meter_provider');
  if (mp === undefined) log('info', `${path}: no meter_provider: no reader is configured`);
  else w.rest(mp, 'meter_provider', ['readers', 'views', 'exemplar_filter']);
  if (mp?.exemplar_filter !== undefined && mp.exemplar_filter !== null && mp.exemplar_filter !== 'always_off') {
    w.unsupported('meter_provider.exemplar_filter', 'not supported (fastmeter records no exemplars)');
  }
  const fastmeter = w.object(root.fastmeter, 'fastmeter') ?? {};
  w.rest(fastmeter, 'fastmeter', ['runtime_metrics', 'self_metrics', 'prometheus_server', 'prometheus_fast', 'ring', 'dashboard', 'processors']);
  const prometheusServer = w.boolean(fastmeter.prometheus_server, 'fastmeter.prometheus_server', true);
  const prometheusFast = w.boolean(fastmeter.prometheus_fast, 'fastmeter.prometheus_fast', false);
  const { attributes, schemaUrl } = resourceFromFile(root.resource, w);
  return {
    disabled: w.boolean(root.disabled, 'disabled', false),
    resourceAttributes: attributes,
    resourceSchemaUrl: schemaUrl,
    readers: w
      .list(mp?.readers, 'meter_provider.readers')
      .flatMap((r, i) => readerFromFile(r, `meter_provider.readers[${i}]`, w) ?? [])
      .map(r => (r.kind === 'prometheus' ? { ...r, server: prometheusServer, fast: prometheusFast } : r)),
    views: w.list(mp?.views, 'meter_provider.views').flatMap((v, i) => viewFromFile(v, `meter_provider.views[${i}]`, w) ?? []),
    attributeValueLengthLimit: w.integer(limits.attribute_value_length_limit, 'attribute_limits.attribute_value_length_limit', undefined, 0),
    attributeCountLimit: w.integer(limits.attribute_count_limit, 'attribute_limits.attribute_count_limit', 128, 0),
    runtimeMetrics: w.boolean(fastmeter.runtime_metrics, 'fastmeter.runtime_metrics', true),
    selfMetrics: w.boolean(fastmeter.self_metrics, 'fastmeter.self_metrics', false),
    extensions: extensionsFromFile(fastmeter, w),
    source: path,
  };
}

function checkFileFormat(value: unknown, path: string, w: Walk): void {
  const format = typeof value === 'number' ? String(value) : value;
  if (typeof format !== 'string') throw new ConfigFileError(`${path}: file_format is required (e.g. file_format: "1.1")`);
  const m = /^(\d+)(?:\.(\d+))?/.exec(format.trim());
  if (m === null || m[1] !== '1') throw new ConfigFileError(`${path}: file_format ${JSON.stringify(format)} is not supported (1.x is)`);
  if (Number(m[2] ?? 0) > KNOWN_MINOR)
    w.reporter.warn(`${path}: file_format ${JSON.stringify(format)} is newer than 1.${KNOWN_MINOR}; reading it as 1.${KNOWN_MINOR}`);
}

// ---- resource ---------------------------------------------------------------------

const ATTRIBUTE_TYPES = ['string', 'bool', 'int', 'double', 'string_array', 'bool_array', 'int_array', 'double_array'] as const;

function typedAttribute(value: unknown, type: (typeof ATTRIBUTE_TYPES)[number]): AttributeValue | undefined {
  const scalar = (v: unknown, t: string): boolean =>
    t === 'string' ? typeof v === 'string' : t === 'bool' ? typeof v === 'boolean' : t === 'int' ? Number.isInteger(v) : typeof v === 'number';
  if (type.endsWith('_array')) {
    const t = type.slice(0, -'_array'.length);
    return Array.isArray(value) && value.every(v => scalar(v, t)) ? (value as AttributeValue) : undefined;
  }
  return scalar(value, type) ? (value as AttributeValue) : undefined;
}

function resourceFromFile(value: unknown, w: Walk): { attributes: Attributes; schemaUrl: string | undefined } {
  const resource = w.object(value, 'resource') ?? {};
  w.rest(resource, 'resource', ['attributes', 'attributes_list', 'schema_url']);
  const listed = w.string(resource.attributes_list, 'resource.attributes_list', undefined);
  // attributes_list has the lower priority.
  const attributes: Attributes = listed === undefined ? {} : (parseKeyValueList(`${w.file}: resource.attributes_list`, listed, w.reporter) ?? {});
  w.list(resource.attributes, 'resource.attributes').forEach((entry, i) => {
    const path = `resource.attributes[${i}]`;
    const obj = w.object(entry, path);
    if (obj === undefined) return;
    w.rest(obj, path, ['name', 'value', 'type']);
    const name = w.string(obj.name, `${path}.name`, undefined);
    if (name === undefined || name === '') {
      w.invalid(`${path}.name`, obj.name, 'an attribute needs a name', 'nothing');
      return;
    }
    const type = w.oneOf(obj.type, `${path}.type`, ATTRIBUTE_TYPES, 'string');
    const typed = typedAttribute(obj.value, type);
    if (typed === undefined) w.invalid(`${path}.value`, obj.value, `not a ${type}`, 'nothing');
    else attributes[name] = typed;
  });
  return { attributes, schemaUrl: w.string(resource.schema_url, 'resource.schema_url', undefined) };
}

// ---- readers ----------------------------------------------------------------------

const TEMPORALITY: Record<string, Temporality> = { cumulative: 'cumulative', delta: 'delta', low_memory: 'lowmemory' };
const HISTOGRAMS = ['explicit_bucket_histogram', 'base2_exponential_bucket_histogram'] as const;
const LIMIT_KEYS = [
  'default',
  'counter',
  'gauge',
  'histogram',
  'observable_counter',
  'observable_gauge',
  'observable_up_down_counter',
  'up_down_counter',
] as const;

function cardinalityLimits(value: unknown, path: string, w: Walk): CardinalityLimits | undefined {
  const obj = w.object(value, path);
  if (obj === undefined) return undefined;
  w.rest(obj, path, LIMIT_KEYS);
  const out: CardinalityLimits = {};
  for (const key of LIMIT_KEYS) {
    const n = w.integer(obj[key], `${path}.${key}`, undefined, 1);
    if (n !== undefined) out[key] = n;
  }
  return out;
}

function temporality(value: unknown, path: string, w: Walk): Temporality {
  return TEMPORALITY[w.oneOf(value, path, Object.keys(TEMPORALITY), 'cumulative')];
}

function headers(obj: Plain, path: string, w: Walk): Record<string, string> {
  const listed = w.string(obj.headers_list, `${path}.headers_list`, undefined);
  const out = listed === undefined ? {} : (parseKeyValueList(`${w.file}: ${path}.headers_list`, listed, w.reporter) ?? {});
  w.list(obj.headers, `${path}.headers`).forEach((entry, i) => {
    const p = `${path}.headers[${i}]`;
    const h = w.object(entry, p);
    if (h === undefined) return;
    w.rest(h, p, ['name', 'value']);
    const name = w.string(h.name, `${p}.name`, undefined);
    const value = w.string(h.value, `${p}.value`, undefined);
    if (name !== undefined && value !== undefined) out[name] = value;
  });
  return out;
}

function otlpExporter(kind: 'otlp_http' | 'otlp_grpc', value: unknown, path: string, w: Walk): OtlpExporterConfig {
  const obj = w.object(value, path) ?? {};
  const grpc = kind === 'otlp_grpc';
  w.rest(obj, path, [
    'endpoint',
    'headers',
    'headers_list',
    'compression',
    'timeout',
    'temporality_preference',
    'default_histogram_aggregation',
    ...(grpc ? [] : ['encoding']),
  ]);
  if (obj.tls !== undefined) w.unsupported(`${path}.tls`);
  const fallback = grpc ? DEFAULTS.otlpGrpcEndpoint : `${DEFAULTS.otlpHttpEndpoint}/v1/metrics`;
  let endpoint = w.string(obj.endpoint, `${path}.endpoint`, fallback) ?? fallback;
  try {
    endpoint = new URL(endpoint).href;
  } catch {
    w.invalid(`${path}.endpoint`, endpoint, 'not an absolute URL', `the default, ${fallback}`);
    endpoint = fallback;
  }
  const encoding = grpc ? 'protobuf' : w.oneOf(obj.encoding, `${path}.encoding`, ['protobuf', 'json'] as const, 'protobuf');
  return {
    kind: 'otlp',
    protocol: grpc ? 'grpc' : encoding === 'json' ? 'http/json' : 'http/protobuf',
    endpoint,
    headers: headers(obj, path, w),
    timeoutMillis: w.integer(obj.timeout, `${path}.timeout`, DEFAULTS.otlpTimeoutMillis, 0),
    compression: w.oneOf(obj.compression, `${path}.compression`, ['gzip', 'none'] as const, 'none'),
    temporality: temporality(obj.temporality_preference, `${path}.temporality_preference`, w),
    defaultHistogramAggregation: w.oneOf(obj.default_histogram_aggregation, `${path}.default_histogram_aggregation`, HISTOGRAMS, 'explicit_bucket_histogram'),
  };
}

function consoleExporter(value: unknown, path: string, w: Walk): ConsoleExporterConfig {
  const obj = w.object(value, path) ?? {};
  w.rest(obj, path, ['temporality_preference', 'default_histogram_aggregation']);
  return {
    kind: 'console',
    temporality: temporality(obj.temporality_preference, `${path}.temporality_preference`, w),
    defaultHistogramAggregation: w.oneOf(
      obj.default_histogram_aggregation,
      `${path}.default_histogram_aggregation`,
      HISTOGRAMS,
      'explicit_bucket_histogram',
    ) as HistogramAggregation,
  };
}

function readerFromFile(value: unknown, path: string, w: Walk): ReaderConfig | undefined {
  const one = w.single(value, path);
  if (one === undefined) return undefined;
  const [kind, body] = one;
  const p = `${path}.${kind}`;
  const obj = w.object(body, p) ?? {};
  if (kind === 'periodic') {
    w.rest(obj, p, ['interval', 'timeout', 'exporter', 'cardinality_limits']);
    if (obj.producers !== undefined) w.unsupported(`${p}.producers`);
    const exporter = w.single(obj.exporter, `${p}.exporter`);
    if (exporter === undefined) return undefined;
    const [ek, eb] = exporter;
    const ep = `${p}.exporter.${ek}`;
    let config: OtlpExporterConfig | ConsoleExporterConfig;
    if (ek === 'otlp_http' || ek === 'otlp_grpc') config = otlpExporter(ek, eb, ep, w);
    else if (ek === 'console') config = consoleExporter(eb, ep, w);
    else {
      w.unsupported(ep, 'not a push exporter @fastmeter/node supports (otlp_http, otlp_grpc, console)');
      return undefined;
    }
    const intervalMillis = w.integer(obj.interval, `${p}.interval`, DEFAULTS.exportIntervalMillis, 1);
    let timeoutMillis = w.integer(obj.timeout, `${p}.timeout`, DEFAULTS.exportTimeoutMillis, 0);
    if (timeoutMillis > intervalMillis) {
      if (obj.timeout !== undefined)
        w.reporter.warn(`${w.file}: ${p}.timeout ${timeoutMillis} is above the interval ${intervalMillis}; using ${intervalMillis}`);
      timeoutMillis = intervalMillis;
    }
    return {
      kind: 'periodic',
      intervalMillis,
      timeoutMillis,
      exporter: config,
      cardinalityLimits: cardinalityLimits(obj.cardinality_limits, `${p}.cardinality_limits`, w),
    };
  }
  if (kind === 'pull') {
    w.rest(obj, p, ['exporter', 'cardinality_limits']);
    if (obj.producers !== undefined) w.unsupported(`${p}.producers`);
    const exporter = w.single(obj.exporter, `${p}.exporter`);
    if (exporter === undefined) return undefined;
    const [ek, eb] = exporter;
    const ep = `${p}.exporter.${ek}`;
    if (ek !== 'prometheus/development' && ek !== 'prometheus') {
      w.unsupported(ep, 'not a pull exporter @fastmeter/node supports (prometheus/development)');
      return undefined;
    }
    const prom = w.object(eb, ep) ?? {};
    w.rest(prom, ep, ['host', 'port', 'without_scope_info', 'without_target_info']);
    return {
      kind: 'prometheus',
      host: w.string(prom.host, `${ep}.host`, DEFAULTS.prometheusHost) ?? DEFAULTS.prometheusHost,
      port: w.integer(prom.port, `${ep}.port`, DEFAULTS.prometheusPort, 0, 65535),
      withoutScopeInfo: w.boolean(prom.without_scope_info, `${ep}.without_scope_info`, false),
      withoutTargetInfo: w.boolean(prom.without_target_info, `${ep}.without_target_info`, false),
      server: true,
      fast: false,
      cardinalityLimits: cardinalityLimits(obj.cardinality_limits, `${p}.cardinality_limits`, w),
    };
  }
  w.invalid(path, value, `unknown reader ${JSON.stringify(kind)} (periodic or pull)`, 'nothing');
  return undefined;
}

// ---- views ------------------------------------------------------------------------

/** The specification's default explicit bucket boundaries. */
const DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

const INSTRUMENT_TYPES: Record<string, InstrumentType> = {
  counter: InstrumentType.COUNTER,
  gauge: InstrumentType.GAUGE,
  histogram: InstrumentType.HISTOGRAM,
  observable_counter: InstrumentType.OBSERVABLE_COUNTER,
  observable_gauge: InstrumentType.OBSERVABLE_GAUGE,
  observable_up_down_counter: InstrumentType.OBSERVABLE_UP_DOWN_COUNTER,
  up_down_counter: InstrumentType.UP_DOWN_COUNTER,
};

function stringList(value: unknown, path: string, w: Walk): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = w.list(value, path);
  const out = list.filter((v): v is string => typeof v === 'string');
  if (out.length !== list.length) w.invalid(path, value, 'expected a list of strings', 'its strings only');
  return out;
}

function aggregation(value: unknown, path: string, w: Walk): ViewOptions['aggregation'] | undefined {
  const one = w.single(value, path);
  if (one === undefined) return undefined;
  const [kind, body] = one;
  const p = `${path}.${kind}`;
  const obj = w.object(body, p) ?? {};
  switch (kind) {
    case 'default':
    case 'drop':
    case 'sum':
    case 'last_value':
      w.rest(obj, p, []);
      return {
        type: { default: AggregationType.DEFAULT, drop: AggregationType.DROP, sum: AggregationType.SUM, last_value: AggregationType.LAST_VALUE }[kind],
      } as ViewOptions['aggregation'];
    case 'explicit_bucket_histogram': {
      w.rest(obj, p, ['boundaries', 'record_min_max']);
      let boundaries = DEFAULT_BOUNDARIES;
      if (obj.boundaries !== undefined && obj.boundaries !== null) {
        const list = w.list(obj.boundaries, `${p}.boundaries`);
        if (!list.every(b => typeof b === 'number' && Number.isFinite(b))) {
          w.invalid(`${p}.boundaries`, obj.boundaries, 'expected a list of finite numbers', 'the default boundaries');
        } else if (list.some((b, i) => i > 0 && (b as number) <= (list[i - 1] as number))) {
          w.invalid(`${p}.boundaries`, obj.boundaries, 'boundaries must increase', 'the default boundaries');
        } else boundaries = list as number[];
      }
      const options = { boundaries, recordMinMax: w.boolean(obj.record_min_max, `${p}.record_min_max`, true) };
      return { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options } as ViewOptions['aggregation'];
    }
    case 'base2_exponential_bucket_histogram': {
      w.rest(obj, p, ['max_size', 'record_min_max'], ['max_scale']);
      // As in sdk-metrics, the scale starts at 20 and max_size alone bounds it.
      if (obj.max_scale !== undefined && obj.max_scale !== null && obj.max_scale !== 20) {
        w.unsupported(`${p}.max_scale`, 'not supported (the scale starts at 20 and max_size bounds it, as in sdk-metrics)');
      }
      return {
        type: AggregationType.EXPONENTIAL_HISTOGRAM,
        options: { maxSize: w.integer(obj.max_size, `${p}.max_size`, 160, 2), recordMinMax: w.boolean(obj.record_min_max, `${p}.record_min_max`, true) },
      } as ViewOptions['aggregation'];
    }
    default:
      w.invalid(path, value, `unknown aggregation ${JSON.stringify(kind)}`, 'the default aggregation');
      return undefined;
  }
}

function viewFromFile(value: unknown, path: string, w: Walk): ViewOptions | undefined {
  const view = w.object(value, path);
  if (view === undefined) return undefined;
  w.rest(view, path, ['selector', 'stream']);
  const sp = `${path}.selector`;
  const selector = w.object(view.selector, sp) ?? {};
  w.rest(selector, sp, ['instrument_name', 'instrument_type', 'unit', 'meter_name', 'meter_version', 'meter_schema_url']);
  const out: ViewOptions = {};
  const set = <K extends keyof ViewOptions>(key: K, v: ViewOptions[K] | undefined) => {
    if (v !== undefined) out[key] = v;
  };
  set('instrumentName', w.string(selector.instrument_name, `${sp}.instrument_name`, undefined));
  if (selector.instrument_type !== undefined && selector.instrument_type !== null) {
    const t = w.oneOf(selector.instrument_type, `${sp}.instrument_type`, [...Object.keys(INSTRUMENT_TYPES), ''], '');
    if (t === '') return undefined; // A view for an unknown kind would select every kind: drop it.
    set('instrumentType', INSTRUMENT_TYPES[t]);
  }
  set('instrumentUnit', w.string(selector.unit, `${sp}.unit`, undefined));
  set('meterName', w.string(selector.meter_name, `${sp}.meter_name`, undefined));
  set('meterVersion', w.string(selector.meter_version, `${sp}.meter_version`, undefined));
  set('meterSchemaUrl', w.string(selector.meter_schema_url, `${sp}.meter_schema_url`, undefined));
  if (Object.keys(out).length === 0) {
    w.invalid(sp, view.selector, 'a view needs at least one selection criterion', 'no view');
    return undefined;
  }
  const tp = `${path}.stream`;
  const stream = w.object(view.stream, tp) ?? {};
  w.rest(stream, tp, ['name', 'description', 'aggregation', 'aggregation_cardinality_limit', 'attribute_keys']);
  set('name', w.string(stream.name, `${tp}.name`, undefined));
  set('description', w.string(stream.description, `${tp}.description`, undefined));
  set('aggregation', aggregation(stream.aggregation, `${tp}.aggregation`, w));
  set('aggregationCardinalityLimit', w.integer(stream.aggregation_cardinality_limit, `${tp}.aggregation_cardinality_limit`, undefined, 1));
  const keys = w.object(stream.attribute_keys, `${tp}.attribute_keys`);
  if (keys !== undefined) {
    w.rest(keys, `${tp}.attribute_keys`, ['included', 'excluded']);
    const processors: NonNullable<ViewOptions['attributesProcessors']> = [];
    const included = stringList(keys.included, `${tp}.attribute_keys.included`, w);
    const excluded = stringList(keys.excluded, `${tp}.attribute_keys.excluded`, w);
    if (included !== undefined) processors.push(createAllowListAttributesProcessor(included));
    if (excluded !== undefined) processors.push(createDenyListAttributesProcessor(excluded));
    if (processors.length > 0) out.attributesProcessors = processors;
  }
  if (out.name !== undefined && out.instrumentName !== undefined && /[*?]/.test(out.instrumentName)) {
    w.invalid(`${tp}.name`, out.name, 'a view selecting several instruments (wildcard) cannot rename them', 'the instruments\u2019 names');
    delete out.name;
  }
  return out;
}

// ---- fastmeter extensions ---------------------------------------------------------

function extensionsFromFile(fastmeter: Plain, w: Walk): ExtensionsConfig {
  const out: ExtensionsConfig = {};
  for (const key of ['ring', 'dashboard', 'processors'] as const) {
    if (!(key in fastmeter)) continue;
    const value = fastmeter[key];
    // `ring:` with no body (null) or `ring: {}` enables the package with its defaults.
    out[key] = value === null || value === true ? {} : w.object(value, `fastmeter.${key}`);
    if (value === false) delete out[key];
  }
  return out;
}
