// The OTEL_* variables → configuration, with the specification's defaults.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@fastmeter/node';

afterEach(() => vi.restoreAllMocks());
const fromEnv = (env: Record<string, string>) => loadConfig({ env });

describe('OTEL_* environment variables', () => {
  it('default: one periodic OTLP http/protobuf reader to http://localhost:4318/v1/metrics every 60 s (timeout 30 s), cumulative', () => {
    const { config, problems } = fromEnv({});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ disabled: false, runtimeMetrics: true, selfMetrics: false, resourceAttributes: {}, source: 'environment' });
    expect(config.readers).toEqual([
      {
        kind: 'periodic',
        intervalMillis: 60000,
        timeoutMillis: 30000,
        exporter: {
          kind: 'otlp',
          protocol: 'http/protobuf',
          endpoint: 'http://localhost:4318/v1/metrics',
          headers: {},
          timeoutMillis: 10000,
          compression: 'none',
          temporality: 'cumulative',
          defaultHistogramAggregation: 'explicit_bucket_histogram',
        },
        cardinalityLimits: undefined,
      },
    ]);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT is a base (v1/metrics appended); the METRICS_ variable is used as is and wins', () => {
    const endpoint = (env: Record<string, string>) => {
      const r = fromEnv(env).config.readers[0];
      return r.kind === 'periodic' && r.exporter.kind === 'otlp' ? r.exporter.endpoint : undefined;
    };
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/metrics');
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example/otlp/' })).toBe('https://gw.example/otlp/v1/metrics');
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://b:2/custom' })).toBe('http://b:2/custom');
    expect(endpoint({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBe('http://localhost:4317');
    expect(endpoint({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' })).toBe('http://c:4317/');
  });

  it('signal-specific variables win over the general ones; headers merge, percent-decoded', () => {
    const r = fromEnv({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '700',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'b=3, c = x%20y ',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'LowMemory',
      OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram',
    }).config.readers[0];
    expect(r).toMatchObject({
      exporter: {
        protocol: 'http/protobuf',
        timeoutMillis: 700,
        compression: 'gzip',
        headers: { a: '1', b: '3', c: 'x y' },
        temporality: 'lowmemory',
        defaultHistogramAggregation: 'base2_exponential_bucket_histogram',
      },
    });
  });

  it('prometheus, console and none; unknown names are reported and skipped; the timeout is clamped to the interval', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(fromEnv({ OTEL_METRICS_EXPORTER: 'prometheus' }).config.readers).toEqual([
      {
        kind: 'prometheus',
        host: 'localhost',
        port: 9464,
        withoutScopeInfo: false,
        withoutTargetInfo: false,
        server: true,
        fast: false,
        cardinalityLimits: undefined,
      },
    ]);
    expect(fromEnv({ OTEL_METRICS_EXPORTER: ' console , prometheus,console', OTEL_METRIC_EXPORT_INTERVAL: '1000' }).config.readers.map(r => r.kind)).toEqual([
      'periodic',
      'prometheus',
    ]);
    expect(fromEnv({ OTEL_METRICS_EXPORTER: 'none' }).config.readers).toEqual([]);
    const mixed = fromEnv({ OTEL_METRICS_EXPORTER: 'otlp,none' });
    expect(mixed.config.readers).toEqual([]);
    expect(mixed.problems).toEqual(['OTEL_METRICS_EXPORTER="otlp,none" contains "none": no exporter is configured']);
    const clamped = fromEnv({ OTEL_METRIC_EXPORT_INTERVAL: '1000' });
    expect(clamped.config.readers[0]).toMatchObject({ intervalMillis: 1000, timeoutMillis: 1000 });
    expect(clamped.problems).toEqual([]);
    const both = fromEnv({ OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' });
    expect(both.problems).toEqual(['OTEL_METRIC_EXPORT_TIMEOUT=5000 is above OTEL_METRIC_EXPORT_INTERVAL=1000; using 1000']);
  });

  it('resource: OTEL_RESOURCE_ATTRIBUTES, with OTEL_SERVICE_NAME winning for service.name', () => {
    expect(fromEnv({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=a,k=v%2C1', OTEL_SERVICE_NAME: 'b' }).config.resourceAttributes).toEqual({
      'service.name': 'b',
      k: 'v,1',
    });
  });

  it('OTEL_SDK_DISABLED: only "true" (any case) disables', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(fromEnv({ OTEL_SDK_DISABLED: 'TRUE' }).config.disabled).toBe(true);
    expect(fromEnv({ OTEL_SDK_DISABLED: 'false' }).config.disabled).toBe(false);
    expect(fromEnv({ OTEL_SDK_DISABLED: '1' }).config.disabled).toBe(false);
  });

  it('runtime metrics: FASTMETER_RUNTIME_METRICS=false, or the auto-instrumentation lists leaving runtime-node out', () => {
    const on = (env: Record<string, string>) => fromEnv(env).config.runtimeMetrics;
    expect(on({})).toBe(true);
    expect(on({ FASTMETER_RUNTIME_METRICS: 'false' })).toBe(false);
    expect(on({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fs,runtime-node' })).toBe(false);
    expect(on({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,express' })).toBe(false);
    expect(on({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,runtime-node' })).toBe(true);
  });

  it('FASTMETER_PROCESSORS: true, or a list of sampler / circuit_breaker, loads @fastmeter/processors; bad values are reported', () => {
    expect(fromEnv({}).config.extensions).toEqual({});
    expect(fromEnv({ FASTMETER_PROCESSORS: 'false' }).config.extensions).toEqual({});
    expect(fromEnv({ FASTMETER_PROCESSORS: 'TRUE' }).config.extensions).toEqual({ processors: {} });
    expect(fromEnv({ FASTMETER_PROCESSORS: 'circuit_breaker' }).config.extensions).toEqual({ processors: { sampler: false, circuit_breaker: true } });
    expect(fromEnv({ FASTMETER_PROCESSORS: ' sampler , circuit_breaker ' }).config.extensions).toEqual({
      processors: { sampler: true, circuit_breaker: true },
    });
    const { config, problems } = fromEnv({ FASTMETER_PROCESSORS: 'breaker' });
    expect(config.extensions).toEqual({});
    expect(problems.join('\n')).toMatch(/FASTMETER_PROCESSORS.*breaker/);
  });

  it('reads the application value of OTEL_METRICS_EXPORTER that the register entry saved for child processes', () => {
    const env = { OTEL_METRICS_EXPORTER: 'none', FASTMETER_NODE_OTEL_METRICS_EXPORTER: 'prometheus' };
    expect(fromEnv(env).config.readers.map(r => r.kind)).toEqual(['prometheus']);
    // Changed by the parent for this child: the child's value counts.
    expect(fromEnv({ ...env, OTEL_METRICS_EXPORTER: 'console' }).config.readers.map(r => r.kind)).toEqual(['periodic']);
    // Saved as unset: the default (otlp).
    expect(fromEnv({ OTEL_METRICS_EXPORTER: 'none', FASTMETER_NODE_OTEL_METRICS_EXPORTER: '' }).config.readers.map(r => r.kind)).toEqual(['periodic']);
  });
});
