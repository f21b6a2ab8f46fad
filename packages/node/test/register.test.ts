// The register entry in real child processes (`node --import
// @fastmeter/node/register` and `--require`), configured only by OTEL_*
// variables, checked against third-party peers: OTLP protobuf bodies decoded by
// `protoc --decode` against the official protos, OTLP JSON by python-protobuf's
// strict json_format, the Prometheus endpoint scraped by a real Prometheus.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpDecoders, type Summary, histogramPoint, summarize } from '../../../test/e2e/helpers/otlp.js';
import { missing, needPeers, peers } from '../../../test/e2e/helpers/peers.js';
import { type Daemon, fetchWithTimeout, freePort, poll } from '../../../test/e2e/helpers/proc.js';
import { PrometheusServer } from '../../../test/e2e/helpers/prometheus-server.js';
import { PACKAGE_DIR, type Preload, Receiver, exited, startApp } from './helpers.js';

const p = peers();
const CUMULATIVE = 'AGGREGATION_TEMPORALITY_CUMULATIVE';
const DELTA = 'AGGREGATION_TEMPORALITY_DELTA';

/** A decoded request without its timestamps, for comparing two exports of the same data. */
function normalized(s: Summary) {
  const metrics = Object.values(s.metrics).map(m => ({
    ...m,
    points: Object.fromEntries(
      Object.entries(m.points).map(([key, pt]) => [
        key,
        { attributes: pt.attributes, value: pt.value, valueField: pt.valueField, histogram: m.kind === 'histogram' ? histogramPoint(pt) : undefined },
      ]),
    ),
  }));
  const { 'service.instance.id': _, ...resource } = s.resource;
  return { resource, metrics };
}

/** The fixture app's metrics, exactly (see fixtures/app.cjs). */
function expectAppMetrics(s: Summary, temporality = CUMULATIVE): void {
  const m = s.metrics;
  expect(m['app.jobs']).toMatchObject({
    scope: { name: 'fixture.app', version: '1.2.3' },
    kind: 'sum',
    monotonic: true,
    temporality,
    unit: '{job}',
    description: 'Jobs done.',
  });
  const jobs = Object.fromEntries(Object.values(m['app.jobs'].points).map(pt => [pt.attributes.queue, [pt.valueField, pt.value]]));
  expect(jobs).toEqual({ a: ['as_int', 4], b: ['as_int', 4] });
  expect(m['app.latency']).toMatchObject({ kind: 'histogram', temporality, unit: 's' });
  const [latency] = Object.values(m['app.latency'].points);
  expect(latency.attributes).toEqual({ op: 'x' });
  expect(histogramPoint(latency)).toEqual({ count: 3, sum: 2.55, min: 0.05, max: 2, bucketCounts: [1, 1, 1], explicitBounds: [0.1, 1] });
  expect(m['app.queue.size']).toMatchObject({ kind: 'sum', monotonic: false, temporality: CUMULATIVE });
  expect(Object.values(m['app.queue.size'].points).map(pt => [pt.valueField, pt.value])).toEqual([['as_int', 3]]);
  expect(m['app.temperature']).toMatchObject({ kind: 'gauge', unit: 'Cel' });
  expect(Object.values(m['app.temperature'].points).map(pt => [pt.attributes, pt.value])).toEqual([[{ room: 'lab' }, 21.5]]);
}

describe('register entry, configured by OTEL_* variables', () => {
  let receiver: Receiver;
  let decoders: OtlpDecoders | undefined;
  const apps: Daemon[] = [];

  beforeAll(async () => {
    receiver = await Receiver.start();
    if (missing(p.protoc, p.pythonProtobuf).length === 0) decoders = await OtlpDecoders.create(p.protoc.path!, p.pythonProtobuf.path);
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await receiver.close();
    await decoders?.close();
  });

  for (const preload of ['--import', '--require'] as Preload[]) {
    it(`${preload}: OTLP http/protobuf by default to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics, decoded by protoc with exact values`, async ctx => {
      needPeers(ctx, p.protoc);
      const path = `/protobuf${preload.slice(1)}`;
      const { daemon, ready } = await startApp(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.base}${path}`,
          OTEL_METRIC_EXPORT_INTERVAL: '300',
          OTEL_SERVICE_NAME: 'checkout',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=pay%20ments',
          OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret%3D1,x-tenant=t1',
          FASTMETER_RUNTIME_METRICS: 'false',
        },
        { preload },
      );
      apps.push(daemon);
      expect(ready.provider).toBe('FastMeterProvider');
      const [request] = await receiver.waitFor(`${path}/v1/metrics`, 1, 15_000);
      expect(request.contentType).toBe('application/x-protobuf');
      expect(request.headers['x-api-key']).toBe('secret=1');
      expect(request.headers['x-tenant']).toBe('t1');
      const summary = summarize(await decoders!.decodeProtobuf(request.body));
      expect(summary.resource).toMatchObject({
        'service.name': 'checkout',
        'deployment.environment.name': 'test',
        team: 'pay ments',
        'telemetry.sdk.language': 'nodejs',
      });
      expect(Object.keys(summary.metrics).sort()).toEqual(['app.jobs', 'app.latency', 'app.queue.size', 'app.temperature']);
      expectAppMetrics(summary);
      await daemon.stop();
    });
  }

  it('a configuration file equal to an environment setup exports the same data (other OTEL_* variables ignored)', async ctx => {
    needPeers(ctx, p.protoc);
    const dir = mkdtempSync(join(tmpdir(), 'fastmeter-node-file-'));
    try {
      const file = join(dir, 'otel.yaml');
      writeFileSync(
        file,
        [
          'file_format: "1.0"',
          'resource:',
          '  attributes:',
          '    - name: service.name',
          '      value: checkout',
          '  attributes_list: deployment.environment.name=test',
          'meter_provider:',
          '  readers:',
          '    - periodic:',
          '        interval: 300',
          '        exporter:',
          '          otlp_http:',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the configuration file's ${VAR} syntax
          '            endpoint: ${RECEIVER}/file/v1/metrics',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the configuration file's ${VAR} syntax
          '            headers: [{ name: x-api-key, value: "${KEY:-none}" }]',
          '            temporality_preference: delta',
          'fastmeter:',
          '  runtime_metrics: false',
          '',
        ].join('\n'),
      );
      const fromEnv = await startApp({
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.base}/env/v1/metrics`,
        OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-api-key=k1',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        OTEL_SERVICE_NAME: 'checkout',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
        FASTMETER_RUNTIME_METRICS: 'false',
      });
      const fromFile = await startApp(
        {
          OTEL_CONFIG_FILE: file,
          RECEIVER: receiver.base,
          KEY: 'k1',
          // Ignored when a file is used:
          OTEL_SERVICE_NAME: 'ignored',
          OTEL_METRIC_EXPORT_INTERVAL: '60000',
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.base}/wrong/v1/metrics`,
        },
        { preload: '--require' },
      );
      apps.push(fromEnv.daemon, fromFile.daemon);
      const [envRequest] = await receiver.waitFor('/env/v1/metrics', 1, 15_000);
      const [fileRequest] = await receiver.waitFor('/file/v1/metrics', 1, 15_000);
      expect(fileRequest.headers['x-api-key']).toBe('k1');
      expect(envRequest.headers['x-api-key']).toBe('k1');
      const a = summarize(await decoders!.decodeProtobuf(envRequest.body));
      const b = summarize(await decoders!.decodeProtobuf(fileRequest.body));
      expectAppMetrics(a, DELTA);
      expect(normalized(b)).toEqual(normalized(a));
      expect(b.resource['service.name']).toBe('checkout');
      expect(receiver.on('/wrong/v1/metrics')).toEqual([]);
      expect(fromFile.daemon.output).not.toContain('@fastmeter/node:');
      await fromEnv.daemon.stop();
      await fromFile.daemon.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('http/json with delta temporality and gzip; SIGTERM flushes the last values and the process still dies of SIGTERM', async ctx => {
    needPeers(ctx, p.protoc, p.pythonProtobuf);
    const path = '/json/v1/metrics';
    const { daemon } = await startApp({
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.base}${path}`,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
      FASTMETER_RUNTIME_METRICS: 'false',
    });
    apps.push(daemon);
    // Nothing before the signal: the interval is a minute.
    await new Promise(r => setTimeout(r, 500));
    expect(receiver.on(path)).toEqual([]);
    process.kill(daemon.pid!, 'SIGTERM');
    expect(await exited(daemon, 15_000)).toEqual({ code: null, signal: 'SIGTERM' });
    const [request] = receiver.on(path);
    expect(request.contentType).toBe('application/json');
    expect(request.headers['content-encoding']).toBe('gzip');
    const summary = summarize(await decoders!.decodeJson(request.body));
    expectAppMetrics(summary, DELTA);
  });

  it('SIGINT (Ctrl-C) with --require: the final export, then the process dies of SIGINT', async ctx => {
    needPeers(ctx, p.protoc);
    const path = '/sigint/v1/metrics';
    const { daemon } = await startApp(
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.base}${path}`, OTEL_METRIC_EXPORT_INTERVAL: '60000', FASTMETER_RUNTIME_METRICS: 'false' },
      { preload: '--require' },
    );
    apps.push(daemon);
    process.kill(daemon.pid!, 'SIGINT');
    expect(await exited(daemon, 15_000)).toEqual({ code: null, signal: 'SIGINT' });
    expect(receiver.on(path)).toHaveLength(1);
    expectAppMetrics(summarize(await decoders!.decodeProtobuf(receiver.on(path)[0].body)));
  });

  it("an application's own SIGTERM handler still runs and decides; what it records while draining is exported at exit", async ctx => {
    needPeers(ctx, p.protoc);
    const path = '/handler/v1/metrics';
    const { daemon } = await startApp({
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.base}${path}`,
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
      FASTMETER_RUNTIME_METRICS: 'false',
      APP_HANDLER: '1',
    });
    apps.push(daemon);
    process.kill(daemon.pid!, 'SIGTERM');
    // The app's handler stops its timer: the loop empties and the process exits normally (code 0).
    expect(await exited(daemon, 15_000)).toEqual({ code: 0, signal: null });
    expect(daemon.output).toContain('app handler ran');
    const requests = receiver.on(path);
    const last = summarize(await decoders!.decodeProtobuf(requests[requests.length - 1].body));
    const jobs = Object.fromEntries(Object.values(last.metrics['app.jobs'].points).map(pt => [pt.attributes.queue, pt.value]));
    expect(jobs).toEqual({ a: 4, b: 4, late: 10 });
  });

  it('a process that would exit still exits, after the final export (beforeExit)', async ctx => {
    needPeers(ctx, p.protoc);
    const path = '/exit/v1/metrics';
    const { daemon } = await startApp(
      {
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.base}${path}`,
        OTEL_METRIC_EXPORT_INTERVAL: '60000',
        FASTMETER_RUNTIME_METRICS: 'false',
        APP_LINGER_MS: '200',
      },
      { preload: '--require' },
    );
    apps.push(daemon);
    expect(await exited(daemon, 15_000)).toEqual({ code: 0, signal: null });
    expect(receiver.on(path)).toHaveLength(1);
    expectAppMetrics(summarize(await decoders!.decodeProtobuf(receiver.on(path)[0].body)));
  });

  it('OTEL_SDK_DISABLED=true registers nothing: the API keeps its no-op provider and nothing is exported', async () => {
    const path = '/disabled/v1/metrics';
    const { daemon, ready } = await startApp({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.base}${path}`,
      OTEL_METRIC_EXPORT_INTERVAL: '100',
      APP_LINGER_MS: '600',
    });
    apps.push(daemon);
    expect(ready.provider).toBe('NoopMeterProvider');
    expect(await exited(daemon, 10_000)).toEqual({ code: 0, signal: null });
    expect(receiver.on(path)).toEqual([]);
  });

  it('does nothing in worker threads, which inherit the preload flag', async () => {
    const script = join(mkdtempSync(join(tmpdir(), 'fastmeter-node-worker-')), 'main.cjs');
    writeFileSync(
      script,
      [
        "const { Worker } = require('node:worker_threads');",
        "const { metrics } = require('@opentelemetry/api');",
        "const w = new Worker(\"const { metrics } = require('@opentelemetry/api'); require('node:worker_threads').parentPort.postMessage(metrics.getMeterProvider().constructor.name)\", { eval: true });",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the child's own template literal
        "w.on('message', name => { console.log(`ready ${JSON.stringify({ provider: metrics.getMeterProvider().constructor.name, worker: name })}`); w.terminate(); });",
      ].join('\n'),
    );
    const port = await freePort();
    const { daemon, ready } = await startApp(
      {
        OTEL_METRICS_EXPORTER: 'prometheus',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
        NODE_PATH: join(PACKAGE_DIR, 'node_modules'),
      },
      { preload: '--require', script },
    );
    apps.push(daemon);
    expect(ready).toMatchObject({ provider: 'FastMeterProvider', worker: 'NoopMeterProvider' });
    expect(await exited(daemon, 10_000)).toEqual({ code: 0, signal: null });
    // One Prometheus server (the main thread's): no "address in use" from the worker.
    expect(daemon.output).not.toContain('cannot listen');
    rmSync(dirname(script), { recursive: true, force: true });
  });

  it('bad values never crash the application: one warning per variable naming it, the value and the default', async () => {
    const port = await freePort();
    const { daemon, ready } = await startApp({
      OTEL_METRICS_EXPORTER: 'prometheus,otlp,statsd',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml',
      OTEL_METRIC_EXPORT_INTERVAL: '-5',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes',
      OTEL_EXPORTER_OTLP_TIMEOUT: 'soon',
      OTEL_SDK_DISABLED: 'nope',
      OTEL_RESOURCE_ATTRIBUTES: 'a=%zz',
      APP_LINGER_MS: '1500',
    });
    apps.push(daemon);
    expect(ready.provider).toBe('FastMeterProvider');
    const text = await poll(async () => (await fetchWithTimeout(`http://127.0.0.1:${port}/metrics`)).text(), { timeoutMs: 5000, what: 'the scrape' });
    expect(text).toMatch(/^app_jobs_total\{queue="a",otel_scope_name="fixture.app",otel_scope_version="1.2.3"\} 4$/m);
    const warnings = daemon.output.split('\n').filter(l => l.startsWith('@fastmeter/node:'));
    const expected = [
      'OTEL_METRICS_EXPORTER="prometheus,otlp,statsd" is invalid (unknown exporter "statsd"',
      'OTEL_EXPORTER_OTLP_ENDPOINT="not a url" is invalid (not an absolute http(s) URL); using the default, http://localhost:4318/v1/metrics',
      'OTEL_EXPORTER_OTLP_PROTOCOL="http/xml" is invalid (expected one of http/protobuf, http/json, grpc); using the default, http/protobuf',
      'OTEL_METRIC_EXPORT_INTERVAL="-5" is invalid',
      'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="sometimes" is invalid (expected one of cumulative, delta, lowmemory); using the default, cumulative',
      'OTEL_EXPORTER_OTLP_TIMEOUT="soon" is invalid',
      'OTEL_SDK_DISABLED="nope" is invalid (expected true or false); using false',
      'OTEL_RESOURCE_ATTRIBUTES="a=%zz" is invalid',
    ];
    for (const e of expected)
      expect(
        warnings.filter(w => w.includes(e)),
        `one warning containing: ${e}\n${daemon.output}`,
      ).toHaveLength(1);
    // The final export goes to the default endpoint, where nothing listens: bounded by the OTLP timeout (10 s).
    expect(await exited(daemon, 20_000)).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('grpc without @opentelemetry/exporter-metrics-otlp-grpc installed: a clear message, the app runs on', async () => {
    const { daemon, ready } = await startApp({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc', APP_LINGER_MS: '300' });
    apps.push(daemon);
    expect(ready.provider).toBe('FastMeterProvider');
    expect(await exited(daemon, 10_000)).toEqual({ code: 0, signal: null });
    expect(daemon.output).toContain(
      'OTLP protocol grpc needs @opentelemetry/exporter-metrics-otlp-grpc, which is not installed: run `npm install @opentelemetry/exporter-metrics-otlp-grpc`',
    );
  });
});

describe('register entry with OTEL_METRICS_EXPORTER=prometheus, scraped by a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined;
  let app: Daemon | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await prometheus?.daemon.stop();
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the app and runtime metrics on OTEL_EXPORTER_PROMETHEUS_HOST:PORT, which Prometheus scrapes and answers', async ctx => {
    needPeers(ctx, p.prometheus);
    const port = await freePort();
    ({ daemon: app } = await startApp(
      {
        OTEL_METRICS_EXPORTER: 'prometheus',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
        OTEL_SERVICE_NAME: 'scraped',
      },
      { preload: '--require' },
    ));
    dir = mkdtempSync(join(tmpdir(), 'fastmeter-node-prom-'));
    prometheus = await PrometheusServer.start({ binary: p.prometheus.path!, promtool: p.promtool.path, dir, job: 'app', targets: [`127.0.0.1:${port}`] });
    const jobs = await poll(
      async () => {
        const r = await prometheus!.query('app_jobs_total');
        return r.length === 2 ? r : undefined;
      },
      { timeoutMs: 25_000, intervalMs: 500, what: 'app_jobs_total in Prometheus', details: () => JSON.stringify(prometheus?.targets) },
    );
    expect(Object.fromEntries(jobs.map(s => [s.metric.queue, s.value]))).toEqual({ a: 4, b: 4 });
    // exporter-prometheus 0.30x appends the unit (_seconds), 0.22x does not.
    expect(await prometheus.scalar('sum({__name__=~"app_latency(_seconds)?_count"})')).toBe(3);
    expect(await prometheus.scalar('sum({__name__=~"app_latency(_seconds)?_bucket",le="1"})')).toBe(2);
    expect(await prometheus.scalar('count(target_info{service_name="scraped"})')).toBe(1);
    // Runtime metrics are on by default.
    expect(await prometheus.scalar('count({__name__=~"v8js_memory_heap_used(_bytes)?",v8js_heap_space_name="old_space"})')).toBe(1);
    expect(await prometheus.scalar('count({__name__=~"nodejs_eventloop_time(_seconds)?_total"})')).toBe(2);
    // process.memory.usage close to the process's resident set size.
    const stored = await prometheus.scalar('{__name__=~"process_memory_usage(_bytes)?"}');
    const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${app.pid}/status`, 'utf8'))![1]) * 1024;
    expect(stored).toBeGreaterThan(rss / 2);
    expect(stored).toBeLessThan(rss * 2);
    const [target] = await prometheus.targets();
    expect(target.health).toBe('up');
  }, 60_000);
});
