// @fastmeter/node next to the OpenTelemetry JS tracing setup users already run:
// `--import @fastmeter/node/register --import @opentelemetry/auto-instrumentations-node/register`,
// and the programmatic recipe (register first, then `new NodeSDK({...})` without
// metric readers). Real packages, real child processes: instrumentation metrics
// (http.server.request.duration) reach fastmeter, NodeSDK builds no second meter
// provider (no "Attempted duplicate registration of API: metrics"), tracing
// keeps working.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpDecoders, histogramPoint, summarize } from '../../../test/e2e/helpers/otlp.js';
import { missing, needPeers, peers } from '../../../test/e2e/helpers/peers.js';
import { type Daemon, fetchWithTimeout, freePort, poll } from '../../../test/e2e/helpers/proc.js';
import { type Preload, Receiver, startApp } from './helpers.js';

const HTTP_APP = fileURLToPath(new URL('./fixtures/http-app.cjs', import.meta.url));
const p = peers();

/** No cloud resource detectors (they would query metadata addresses); no logs exporter. */
const QUIET_NODESDK = { OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', OTEL_LOGS_EXPORTER: 'none', OTEL_LOG_LEVEL: 'info' };

async function hit(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetchWithTimeout(`http://127.0.0.1:${port}/hello`);
    expect(await res.text()).toBe('hello traced');
  }
}

describe('with @opentelemetry/auto-instrumentations-node/register', () => {
  let receiver: Receiver;
  let decoders: OtlpDecoders | undefined;
  const apps: Daemon[] = [];
  beforeAll(async () => {
    receiver = await Receiver.start();
    if (missing(p.protoc).length === 0) decoders = await OtlpDecoders.create(p.protoc.path!);
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await receiver.close();
    await decoders?.close();
  });

  for (const preload of ['--import', '--require'] as Preload[]) {
    it(`${preload} both: http metrics go to fastmeter, NodeSDK builds no meter provider, spans are exported`, async ctx => {
      needPeers(ctx, p.protoc);
      const tag = preload.slice(2);
      const { daemon, ready } = await startApp(
        {
          ...QUIET_NODESDK,
          OTEL_SERVICE_NAME: 'auto',
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.base}/${tag}/v1/metrics`,
          OTEL_METRIC_EXPORT_INTERVAL: '300',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.base}/${tag}/v1/traces`,
          OTEL_BSP_SCHEDULE_DELAY: '200',
        },
        { preload, script: HTTP_APP, extraPreloads: [preload, '@opentelemetry/auto-instrumentations-node/register'] },
      );
      apps.push(daemon);
      expect(ready.provider).toBe('FastMeterProvider');
      await hit((ready as unknown as { port: number }).port, 5);

      const summary = await poll(
        async () => {
          const requests = receiver.on(`/${tag}/v1/metrics`);
          if (requests.length === 0) return undefined;
          const s = summarize(await decoders!.decodeProtobuf(requests[requests.length - 1].body));
          const points = Object.values(s.metrics['http.server.request.duration']?.points ?? {});
          return points.reduce((n, pt) => n + histogramPoint(pt).count, 0) === 5 ? s : undefined;
        },
        { timeoutMs: 15_000, what: 'http.server.request.duration with 5 requests', details: () => daemon.output },
      );
      const duration = summary.metrics['http.server.request.duration'];
      expect(duration.scope.name).toBe('@opentelemetry/instrumentation-http');
      expect(duration.unit).toBe('s');
      expect(Object.values(duration.points)[0].attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200 });
      expect(Object.values(summary.metrics['app.hits'].points)[0].value).toBe(5);
      expect(summary.resource['service.name']).toBe('auto');
      // auto-instrumentations enables instrumentation-runtime-node: it runs on fastmeter, and fastmeter's own runtime metrics step aside.
      expect(summary.metrics['nodejs.eventloop.utilization']?.scope.name).toBe('@opentelemetry/instrumentation-runtime-node');
      expect(Object.values(summary.metrics).some(m => m.scope.name === '@fastmeter/node')).toBe(false);

      const traces = await receiver.waitFor(`/${tag}/v1/traces`, 1, 15_000);
      const spans = traces.flatMap(t => JSON.parse(t.body.toString()).resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
      expect(spans.filter((s: { kind: number }) => s.kind === 2 /* SERVER */).length).toBeGreaterThanOrEqual(1);

      expect(daemon.output).not.toMatch(/duplicate registration/i);
      expect(daemon.output).toContain('OpenTelemetry automatic instrumentation started successfully');
      await daemon.stop();
    }, 60_000);
  }
});

describe('the wrong order (auto-instrumentations first)', () => {
  let app: Daemon | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it('says how to fix it, starts nothing of its own, and the application runs on', async () => {
    const started = await startApp(
      { ...QUIET_NODESDK, OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'false' },
      {
        script: HTTP_APP,
        preloadArgs: ['--require', '@opentelemetry/auto-instrumentations-node/register', '--require', '@fastmeter/node/register'],
      },
    );
    app = started.daemon;
    // NodeSDK built no meter provider (OTEL_METRICS_EXPORTER=none), so fastmeter registers, but the
    // instrumentations already hold no-op meters: it says so.
    expect(started.ready.provider).toBe('FastMeterProvider');
    expect(app.output).toContain('OpenTelemetry instrumentations were loaded before @fastmeter/node: the meters they created stay no-ops.');
    await app.stop();

    const wrong = await startApp(
      { ...QUIET_NODESDK, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:9/v1/metrics', OTEL_TRACES_EXPORTER: 'none' },
      {
        script: HTTP_APP,
        preloadArgs: ['--require', '@opentelemetry/auto-instrumentations-node/register', '--require', '@fastmeter/node/register'],
      },
    );
    app = wrong.daemon;
    expect(wrong.ready.provider).toBe('MeterProvider');
    await poll(async () => (app!.output.includes('another MeterProvider is already registered') ? true : undefined), {
      timeoutMs: 5000,
      what: 'the message',
    });
    expect(app.output).toContain('Load @fastmeter/node/register before anything that registers one');
    await hit((wrong.ready as unknown as { port: number }).port, 1);
  });
});

describe('programmatic NodeSDK recipe: register first, then new NodeSDK({...}) without metric readers', () => {
  let app: Daemon | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it('instrumentation metrics reach fastmeter; spans reach the NodeSDK span processor; no duplicate registration', async () => {
    const port = await freePort();
    const started = await startApp(
      {
        ...QUIET_NODESDK,
        APP_NODESDK: '1',
        OTEL_METRICS_EXPORTER: 'prometheus',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
        FASTMETER_RUNTIME_METRICS: 'false',
      },
      { preload: '--require', script: HTTP_APP },
    );
    app = started.daemon;
    expect(started.ready.provider).toBe('FastMeterProvider');
    const appPort = (started.ready as unknown as { port: number }).port;
    await hit(appPort, 4);
    const text = await poll(
      async () => {
        const t = await (await fetchWithTimeout(`http://127.0.0.1:${port}/metrics`)).text();
        return /^http_server_request_duration(_seconds)?_count\{[^}]*\} 4$/m.test(t) ? t : undefined;
      },
      { timeoutMs: 10_000, what: 'http_server_request_duration_count 4', details: () => app!.output },
    );
    expect(text).toMatch(/otel_scope_name="@opentelemetry\/instrumentation-http"/);
    expect(text).toMatch(/^app_hits_total\{otel_scope_name="fixture.http"\} 4$/m);
    const spans = (await (await fetchWithTimeout(`http://127.0.0.1:${appPort}/spans`)).json()) as { kind: number; path: string }[];
    // (The Prometheus scrapes are traced too: http instrumentation patches every server.)
    expect(spans.filter(s => s.kind === 1 /* SERVER */ && s.path === '/hello').length).toBe(4);
    expect(app.output).not.toMatch(/duplicate registration/i);
    // NodeSDK saw OTEL_METRICS_EXPORTER=none (set by the register entry) and built no meter provider.
    expect(app.output).toContain('OTEL_METRICS_EXPORTER contains "none". Metric provider will not be initialized.');
  }, 60_000);
});
