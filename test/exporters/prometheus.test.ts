// FastMeterProvider behind the real, unchanged PrometheusExporter
// (@opentelemetry/exporter-prometheus 0.223.0, which brings its own sdk-metrics
// 2.12.0): the exporter serves /metrics from its own HTTP server on loopback,
// the test scrapes it with fetch and checks the exposition line by line, then
// compares it with what sdk-metrics' MeterProvider produces for the same calls.
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Family, parseExposition, scrape, seriesOf, startPrometheusExporter, sampleValue } from './helpers/prometheus.js';
import { OTHER_SCOPE, SCOPE, SERVICE_NAME, type Scenario, createScenario, testResource } from './helpers/scenario.js';
import { captureDiag, withTimeout } from './helpers/util.js';

/** Labels the exporter adds to every sample of the first meter. */
const A = { otel_scope_name: SCOPE.name, otel_scope_schema_url: SCOPE.schemaUrl, otel_scope_version: SCOPE.version };
/** The second meter has neither version nor schema URL: only its name is added. */
const B = { otel_scope_name: OTHER_SCOPE.name };
const DEFAULT_LE = ['0', '5', '10', '25', '50', '75', '100', '250', '500', '750', '1000', '2500', '5000', '7500', '10000', '+Inf'];

interface Setup {
  provider: { shutdown(): Promise<void> };
  exporter: PrometheusExporter;
  url: string;
  scenario: Scenario;
}

async function setup(kind: 'fastmeter' | 'sdk-metrics'): Promise<Setup> {
  const { exporter, url } = await startPrometheusExporter();
  const options = { resource: testResource(), readers: [exporter] };
  const provider = kind === 'fastmeter' ? new FastMeterProvider(options) : new MeterProvider(options);
  return { provider, exporter, url, scenario: createScenario(provider) };
}

async function teardown(s: Setup | undefined): Promise<void> {
  if (s === undefined) return;
  // provider.shutdown() shuts the exporter down, which stops its server; stopServer() again is a no-op
  // when that worked and closes the server when it did not.
  await withTimeout(s.provider.shutdown(), 5000, 'provider.shutdown').catch(() => {});
  await withTimeout(s.exporter.stopServer(), 5000, 'PrometheusExporter.stopServer');
}

/** `[le, cumulative count]` of one histogram series, in exposition order. */
function buckets(families: Map<string, Family>, name: string, labels: Record<string, string>): [string, number][] {
  const family = families.get(name);
  if (family === undefined) throw new Error(`no family ${name}`);
  const want = JSON.stringify(Object.entries(labels).sort());
  return family.samples
    .filter(
      s =>
        s.name === `${name}_bucket` &&
        JSON.stringify(
          Object.entries(s.labels)
            .filter(([k]) => k !== 'le')
            .sort(),
        ) === want,
    )
    .map(s => [s.labels.le, s.value]);
}

/**
 * The exposition cut into `target_info` and one list of metric blocks (HELP..samples) per scope.
 * sdk-metrics lists scopes in the order their collections *finish* (MetricCollector pushes each
 * meter's result when its promise settles, so meters without observable callbacks come first);
 * fastmeter lists them in creation order. The order of scopes carries no meaning in the format,
 * so the differential compares blocks per scope, each block and the order within a scope exactly.
 */
function byScope(text: string): { target: string; scopes: Record<string, string[]> } {
  const blocks = text.split(/\n(?=# HELP )/);
  const scopes: Record<string, string[]> = {};
  let target = '';
  for (const block of blocks) {
    if (block.startsWith('# HELP target_info ')) {
      target = block;
      continue;
    }
    const scope = /otel_scope_name="([^"]*)"/.exec(block)?.[1] ?? '(none)';
    (scopes[scope] ??= []).push(block.trimEnd());
  }
  return { target, scopes };
}

describe('PrometheusExporter fed by FastMeterProvider', () => {
  const diagnostics = captureDiag();
  let fast: Setup | undefined;
  let ref: Setup | undefined;
  let first: string;
  let firstRef: string;

  beforeAll(async () => {
    fast = await setup('fastmeter');
    ref = await setup('sdk-metrics');
    fast.scenario.phase1();
    ref.scenario.phase1();
    first = await scrape(fast.url);
    firstRef = await scrape(ref.url);
  });

  afterAll(async () => {
    await teardown(fast);
    await teardown(ref);
    diagnostics.dispose();
  });

  it('serves target_info with the resource attributes', () => {
    const families = parseExposition(first);
    const target = families.get('target_info');
    expect(target?.help).toBe('Target metadata');
    expect(target?.type).toBe('gauge');
    const sdkVersion = String(testResource().attributes['telemetry.sdk.version']);
    expect(sdkVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(target?.samples).toEqual([
      {
        name: 'target_info',
        labels: {
          service_name: SERVICE_NAME,
          service_instance_id: 'i-1',
          host_cpus: '2',
          telemetry_sdk_language: 'nodejs',
          telemetry_sdk_name: 'opentelemetry',
          telemetry_sdk_version: sdkVersion,
        },
        value: 1,
      },
    ]);
    expect(first.startsWith('# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info{')).toBe(true);
  });

  it('exports counters with the _total suffix, HELP, UNIT and TYPE counter, INT and DOUBLE, with and without attributes', () => {
    const families = parseExposition(first);
    const requests = families.get('http_requests_total');
    expect(requests).toMatchObject({ help: 'Handled HTTP requests', unit: '{request}', type: 'counter' });
    expect(seriesOf(families, 'http_requests_total')).toEqual(
      [{ method: 'GET', route: '/a', status: '200', ...A }, { method: 'POST', route: '/a', status: '201', ...A }, { ...A }].sort((a, b) =>
        JSON.stringify(a).localeCompare(JSON.stringify(b)),
      ),
    );
    expect(sampleValue(families, 'http_requests_total', { method: 'GET', route: '/a', status: '200', ...A })).toBe(3);
    expect(sampleValue(families, 'http_requests_total', { method: 'POST', route: '/a', status: '201', ...A })).toBe(2);
    expect(sampleValue(families, 'http_requests_total', A)).toBe(1);
    // Attributes first, in the order given, then the scope labels.
    expect(first).toContain(
      `http_requests_total{method="GET",route="/a",status="200",otel_scope_name="${SCOPE.name}",otel_scope_schema_url="${SCOPE.schemaUrl}",otel_scope_version="${SCOPE.version}"} 3\n`,
    );
    expect(families.get('bytes_sent_total')).toMatchObject({ help: 'Bytes sent', unit: 'By', type: 'counter' });
    expect(sampleValue(families, 'bytes_sent_total', A)).toBe(1.75);
    expect(families.has('http_requests')).toBe(false);
  });

  it('exports up-down counters and gauges as Prometheus gauges, without UNIT when there is none', () => {
    const families = parseExposition(first);
    expect(families.get('queue_depth')).toEqual({
      help: 'Items waiting',
      type: 'gauge',
      samples: [
        { name: 'queue_depth', labels: { queue: 'q1', ...A }, value: 3 },
        { name: 'queue_depth', labels: { queue: 'q2', ...A }, value: -3 },
      ],
    });
    expect(families.get('cpu_temperature')).toMatchObject({ help: 'Core temperature', unit: 'Cel', type: 'gauge' });
    expect(sampleValue(families, 'cpu_temperature', { core: '0', ...A })).toBe(42.25);
    expect(sampleValue(families, 'cpu_temperature', { core: '1', ...A })).toBe(38);
  });

  it('exports histograms with cumulative _bucket{le}, _sum and _count, for default and advice boundaries', () => {
    const families = parseExposition(first);
    expect(families.get('http_server_duration')).toMatchObject({ help: 'Request duration', unit: 'ms', type: 'histogram' });
    // route /a: 3, 5, 7, 7, 120 (5 falls in le="5": bounds are inclusive)
    expect(buckets(families, 'http_server_duration', { route: '/a', ...A })).toEqual(
      DEFAULT_LE.map((le, i) => [le, [0, 2, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5][i]]),
    );
    expect(sampleValue(families, 'http_server_duration_sum', { route: '/a', ...A })).toBe(142);
    expect(sampleValue(families, 'http_server_duration_count', { route: '/a', ...A })).toBe(5);
    // route /b: 12000, above the last bound
    expect(buckets(families, 'http_server_duration', { route: '/b', ...A })).toEqual(DEFAULT_LE.map(le => [le, le === '+Inf' ? 1 : 0]));
    expect(sampleValue(families, 'http_server_duration_sum', { route: '/b', ...A })).toBe(12000);
    expect(sampleValue(families, 'http_server_duration_count', { route: '/b', ...A })).toBe(1);
    // advice.explicitBucketBoundaries [0.25, 0.5, 1]: 0.125, 0.25, 0.375, 2
    expect(families.get('rpc_latency')).toMatchObject({ help: 'RPC latency', unit: 's', type: 'histogram' });
    expect(buckets(families, 'rpc_latency', A)).toEqual([
      ['0.25', 2],
      ['0.5', 3],
      ['1', 3],
      ['+Inf', 4],
    ]);
    expect(sampleValue(families, 'rpc_latency_sum', A)).toBe(2.75);
    expect(sampleValue(families, 'rpc_latency_count', A)).toBe(4);
    // INT histogram, default bounds: 0, 1, 2, 4, 1024
    expect(buckets(families, 'payload_size', A)).toEqual(DEFAULT_LE.map((le, i) => [le, i === 0 ? 1 : i < 11 ? 4 : 5]));
    expect(sampleValue(families, 'payload_size_sum', A)).toBe(1031);
  });

  it('exports observable counters, up-down counters and gauges (batch callback included)', () => {
    const families = parseExposition(first);
    expect(families.get('process_cpu_time_total')).toMatchObject({ help: 'CPU time', unit: 's', type: 'counter' });
    expect(sampleValue(families, 'process_cpu_time_total', { state: 'user', ...A })).toBe(12.5);
    expect(sampleValue(families, 'process_cpu_time_total', { state: 'system', ...A })).toBe(3);
    expect(families.get('connections_open')).toMatchObject({ help: 'Open connections', type: 'gauge' });
    expect(sampleValue(families, 'connections_open', A)).toBe(7);
    expect(families.get('memory_heap')).toMatchObject({ help: 'Heap in use', unit: 'By', type: 'gauge' });
    expect(sampleValue(families, 'memory_heap', { pool: 'heap', ...A })).toBe(1024);
  });

  it('labels a meter without version and schema URL with otel_scope_name only, and says "description missing"', () => {
    const families = parseExposition(first);
    expect(families.get('jobs_done_total')).toEqual({
      help: 'description missing',
      type: 'counter',
      samples: [{ name: 'jobs_done_total', labels: B, value: 4 }],
    });
  });

  it('serves the exposition sdk-metrics serves for the same calls (scopes may come in another order)', () => {
    expect(byScope(first)).toEqual(byScope(firstRef));
    expect(Object.keys(byScope(first).scopes).sort()).toEqual([OTHER_SCOPE.name, SCOPE.name].sort());
    // Only whole scope blocks may move: the lines themselves are the same.
    expect(first.split('\n').sort()).toEqual(firstRef.split('\n').sort());
  });

  it('is cumulative: a scrape does not reset anything, and later measurements add up', async () => {
    if (fast === undefined || ref === undefined) throw new Error('setup failed');
    expect(await scrape(fast.url)).toBe(first);
    fast.scenario.phase2();
    ref.scenario.phase2();
    const second = await scrape(fast.url);
    const families = parseExposition(second);
    expect(sampleValue(families, 'http_requests_total', { method: 'GET', route: '/a', status: '200', ...A })).toBe(4);
    expect(sampleValue(families, 'http_requests_total', { method: 'POST', route: '/a', status: '201', ...A })).toBe(2);
    expect(sampleValue(families, 'http_requests_total', { method: 'DELETE', route: '/b', status: '404', ...A })).toBe(1);
    expect(sampleValue(families, 'http_requests_total', A)).toBe(1);
    expect(sampleValue(families, 'bytes_sent_total', A)).toBe(2);
    expect(sampleValue(families, 'queue_depth', { queue: 'q1', ...A })).toBe(3);
    expect(sampleValue(families, 'queue_depth', { queue: 'q2', ...A })).toBe(-2);
    expect(sampleValue(families, 'cpu_temperature', { core: '0', ...A })).toBe(42.25);
    expect(sampleValue(families, 'cpu_temperature', { core: '1', ...A })).toBe(39);
    expect(buckets(families, 'http_server_duration', { route: '/b', ...A })).toEqual(DEFAULT_LE.map((le, i) => [le, i < 4 ? 0 : i < 15 ? 1 : 2]));
    expect(sampleValue(families, 'http_server_duration_sum', { route: '/b', ...A })).toBe(12030);
    expect(sampleValue(families, 'http_server_duration_count', { route: '/b', ...A })).toBe(2);
    expect(sampleValue(families, 'http_server_duration_count', { route: '/a', ...A })).toBe(5);
    expect(sampleValue(families, 'process_cpu_time_total', { state: 'user', ...A })).toBe(20);
    expect(sampleValue(families, 'process_cpu_time_total', { state: 'system', ...A })).toBe(3);
    expect(sampleValue(families, 'connections_open', A)).toBe(4);
    expect(sampleValue(families, 'memory_heap', { pool: 'heap', ...A })).toBe(2048);
    expect(sampleValue(families, 'jobs_done_total', B)).toBe(4);
    expect(byScope(second)).toEqual(byScope(await scrape(ref.url)));
  });

  it('reported nothing through diag (no collection error, no unknown point type)', () => {
    expect(diagnostics.messages).toEqual([]);
  });
});
