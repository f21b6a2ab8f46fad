// OTEL_CONFIG_FILE: parsing, substitution, paths in messages, and the views /
// limits / readers it configures, checked on a provider built by start()
// (not registered globally) and collected through a real reader.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataPointType, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type FastMeterNode, loadConfig, start } from '@fastmeter/node';

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const dir = mkdtempSync(join(tmpdir(), 'fastmeter-node-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string, ext = 'yaml'): string {
  const path = join(dir, `config-${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const running: FastMeterNode[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.shutdown();
  vi.restoreAllMocks();
});
const quiet = () => vi.spyOn(console, 'warn').mockImplementation(() => {});

describe('loadConfig() with a configuration file', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the configuration file's ${VAR} syntax
  it('reads readers, resource and limits, substituting ${VAR}, ${env:VAR}, ${VAR:-default} and $$ (plain scalars typed again)', () => {
    const path = file(`
file_format: "1.0"
resource:
  schema_url: https://opentelemetry.io/schemas/1.26.0
  attributes_list: team=pay%20ments,service.name=from-list
  attributes:
    - name: service.name
      value: \${SERVICE:-checkout}
    - name: replicas
      value: 3
      type: int
    - name: zones
      value: [a, b]
      type: string_array
    - name: price
      value: "$$5"
attribute_limits:
  attribute_count_limit: 64
meter_provider:
  readers:
    - periodic:
        interval: \${INTERVAL}
        timeout: 1000
        exporter:
          otlp_http:
            endpoint: http://\${env:HOST}:4318/v1/metrics
            encoding: json
            compression: gzip
            timeout: \${TIMEOUT:-2500}
            headers:
              - name: x-api-key
                value: "\${KEY}"
            headers_list: x-tenant=t1
            temporality_preference: low_memory
            default_histogram_aggregation: base2_exponential_bucket_histogram
        cardinality_limits:
          default: 100
          histogram: 10
    - pull:
        exporter:
          prometheus/development:
            host: 127.0.0.1
            port: \${PORT}
            without_scope_info: true
`);
    const { config, problems } = loadConfig({ configFile: path, env: { INTERVAL: '5000', HOST: 'collector', KEY: '007', PORT: '9999' } });
    expect(problems).toEqual([]);
    expect(config.resourceAttributes).toEqual({ 'service.name': 'checkout', team: 'pay ments', replicas: 3, zones: ['a', 'b'], price: '$5' });
    expect(config.resourceSchemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
    expect(config.attributeCountLimit).toBe(64);
    expect(config.readers).toEqual([
      {
        kind: 'periodic',
        intervalMillis: 5000,
        timeoutMillis: 1000,
        exporter: {
          kind: 'otlp',
          protocol: 'http/json',
          endpoint: 'http://collector:4318/v1/metrics',
          headers: { 'x-tenant': 't1', 'x-api-key': '007' },
          timeoutMillis: 2500,
          compression: 'gzip',
          temporality: 'lowmemory',
          defaultHistogramAggregation: 'base2_exponential_bucket_histogram',
        },
        cardinalityLimits: { default: 100, histogram: 10 },
      },
      {
        kind: 'prometheus',
        host: '127.0.0.1',
        port: 9999,
        withoutScopeInfo: true,
        withoutTargetInfo: false,
        server: true,
        fast: false,
        cardinalityLimits: undefined,
      },
    ]);
  });

  it('reads JSON files too', () => {
    const path = file(JSON.stringify({ file_format: '1.1', meter_provider: { readers: [{ periodic: { exporter: { console: {} } } }] } }), 'json');
    const { config, problems } = loadConfig({ configFile: path, env: {} });
    expect(problems).toEqual([]);
    expect(config.readers).toEqual([
      {
        kind: 'periodic',
        intervalMillis: 60000,
        timeoutMillis: 30000,
        exporter: { kind: 'console', temporality: 'cumulative', defaultHistogramAggregation: 'explicit_bucket_histogram' },
        cardinalityLimits: undefined,
      },
    ]);
  });

  it('reports every unsupported key and invalid value with its path, and uses the default for it', () => {
    const warn = quiet();
    const path = file(`
file_format: "1.0"
sampler: always_on
meter_provider:
  exemplar_filter: trace_based
  readers:
    - periodic:
        interval: soon
        producers: [{ opencensus: {} }]
        exporter:
          otlp_http:
            tls: { ca_file: /x }
            compression: brotli
    - pull:
        exporter:
          prometheus/development:
            translation_strategy: NoTranslation
            port: 99999
  views:
    - selector: { instrument_name: a }
      stream: { name: b }
    - selector: { instrument_name: c }
      stream: { aggregation: { sum: {} } }
    - selector: { instrument_name: d }
      stream:
        aggregation: { percentile: { p: 99 } }
        attribute_keys: { included: [x], mode: strict }
`);
    const { config, problems } = loadConfig({ configFile: path, env: {} });
    expect(problems.map(p => p.slice(path.length + 2))).toEqual([
      'sampler is not supported by @fastmeter/node; ignored',
      'meter_provider.exemplar_filter is not supported (fastmeter records no exemplars); ignored',
      'meter_provider.readers[0].periodic.producers is not supported by @fastmeter/node; ignored',
      'meter_provider.readers[0].periodic.exporter.otlp_http.tls is not supported by @fastmeter/node; ignored',
      'meter_provider.readers[0].periodic.exporter.otlp_http.compression = "brotli" is invalid (expected one of gzip, none); using the default, none',
      'meter_provider.readers[0].periodic.interval = "soon" is invalid (expected an integer from 1 to 9007199254740991); using the default, 60000',
      'meter_provider.readers[1].pull.exporter.prometheus/development.translation_strategy is not supported by @fastmeter/node; ignored',
      'meter_provider.readers[1].pull.exporter.prometheus/development.port = 99999 is invalid (expected an integer from 0 to 65535); using the default, 9464',
      'meter_provider.views[2].stream.aggregation = {"percentile":{"p":99}} is invalid (unknown aggregation "percentile"); using the default aggregation',
      'meter_provider.views[2].stream.attribute_keys.mode is not supported by @fastmeter/node; ignored',
    ]);
    // Each problem is printed once, on stderr, since no diag logger is registered.
    expect(warn.mock.calls.map(c => String(c[0]).replace(`${path}: `, ''))).toEqual(problems.map(p => `@fastmeter/node: ${p.replace(`${path}: `, '')}`));
    expect(config.readers.map(r => r.kind)).toEqual(['periodic', 'prometheus']);
    expect(config.views).toHaveLength(3);
  });

  it('falls back to the OTEL_* variables when the file cannot be used, saying why', () => {
    quiet();
    const cases: [string, RegExp][] = [
      ['file_format: "2.0"\n', /file_format "2.0" is not supported \(1.x is\)/],
      ['meter_provider: {}\n', /file_format is required/],
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the configuration file's ${VAR} syntax
        'file_format: "1.0"\nresource:\n  attributes:\n    - name: a\n      value: ${BROKEN }\n',
        /resource\.attributes\[0\]\.value: malformed environment variable reference \$\{BROKEN \}/,
      ],
      ['file_format: "1.0"\n  bad: indentation\n', /cannot parse/],
    ];
    for (const [text, message] of cases) {
      const path = file(text);
      const { config, problems } = loadConfig({ configFile: path, env: { OTEL_METRICS_EXPORTER: 'console' } });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(message);
      expect(problems[0]).toMatch(/using the OTEL_\* environment variables instead$/);
      expect(config.source).toBe('environment');
      expect(config.readers.map(r => r.kind === 'periodic' && r.exporter.kind)).toEqual(['console']);
    }
    const missing = loadConfig({ configFile: join(dir, 'nope.yaml'), env: {} });
    expect(missing.problems[0]).toMatch(/cannot read .*nope\.yaml/);
  });

  it('ignores the other OTEL_* variables when a file is used, as the specification says', () => {
    const path = file('file_format: "1.0"\nmeter_provider:\n  readers:\n    - pull: { exporter: { prometheus/development: {} } }\n');
    const { config } = loadConfig({ env: { OTEL_CONFIG_FILE: path, OTEL_METRICS_EXPORTER: 'console', OTEL_SERVICE_NAME: 'ignored' } });
    expect(config.source).toBe(path);
    expect(config.readers.map(r => r.kind)).toEqual(['prometheus']);
    expect(config.resourceAttributes).toEqual({});
  });
});

describe('views and cardinality limits from the file, on a running provider', () => {
  it('renames, re-buckets, filters attributes, drops, and bounds streams as the file says', async () => {
    quiet();
    const path = file(`
file_format: "1.0"
meter_provider:
  views:
    - selector: { instrument_name: http.duration, instrument_type: histogram }
      stream:
        name: http.server.duration
        description: Renamed.
        aggregation: { explicit_bucket_histogram: { boundaries: [1, 10], record_min_max: false } }
        attribute_keys: { included: [route] }
    - selector: { instrument_name: noisy }
      stream: { aggregation: { drop: {} } }
    - selector: { meter_name: limited }
      stream: { aggregation_cardinality_limit: 3, attribute_keys: { excluded: [secret] } }
    - selector: { instrument_name: sizes }
      stream: { aggregation: { base2_exponential_bucket_histogram: { max_size: 4, max_scale: 2 } } }
fastmeter:
  runtime_metrics: false
`);
    const reader = new TestReader();
    const node = start({ configFile: path, env: {}, register: false, exitHooks: false, readers: [reader] })!;
    running.push(node);
    const meter = node.provider.getMeter('app');
    const duration = meter.createHistogram('http.duration');
    duration.record(5, { route: '/a', method: 'GET' });
    duration.record(50, { route: '/a', method: 'POST' });
    meter.createCounter('noisy').add(1);
    const limited = node.provider.getMeter('limited').createCounter('items');
    for (let i = 0; i < 10; i++) limited.add(1, { i, secret: 'x' });
    meter.createHistogram('sizes').record(3);
    const { resourceMetrics } = await reader.collect();
    const byName = Object.fromEntries(resourceMetrics.scopeMetrics.flatMap(s => s.metrics).map(m => [m.descriptor.name, m]));
    expect(Object.keys(byName).sort()).toEqual(['http.server.duration', 'items', 'sizes']);
    const renamed = byName['http.server.duration'];
    expect(renamed.descriptor.description).toBe('Renamed.');
    expect(renamed.dataPoints).toHaveLength(1);
    expect(renamed.dataPoints[0]).toMatchObject({
      attributes: { route: '/a' },
      value: { count: 2, sum: 55, min: undefined, buckets: { boundaries: [1, 10], counts: [0, 1, 1] } },
    });
    const items = byName.items.dataPoints as { attributes: Record<string, unknown>; value: number }[];
    expect(items).toHaveLength(3);
    expect(items.every(p => !('secret' in p.attributes))).toBe(true);
    expect(items.reduce((s, p) => s + p.value, 0)).toBe(10);
    expect(items.some(p => p.attributes['otel.metric.overflow'] === true)).toBe(true);
    expect(byName.sizes.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
    expect(node.problems.map(p => p.slice(path.length + 2))).toEqual([
      'meter_provider.views[3].stream.aggregation.base2_exponential_bucket_histogram.max_scale is not supported (the scale starts at 20 and max_size bounds it, as in sdk-metrics); ignored',
    ]);
  });
});
