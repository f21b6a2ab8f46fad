// A real Prometheus server (Debian's prometheus 2.42, loopback, 1 s scrape
// interval) scrapes two FastPrometheusExporter endpoints of one process: one
// serves OpenMetrics (what Prometheus asks for by default), the other only the
// classic text (openMetrics: false). After a known set of measurements, what
// Prometheus stored must be exactly those values through both formats, the
// targets healthy; `promtool check metrics` passes on the classic text and the
// strict OpenMetrics parser on the OpenMetrics text.
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { FastMeterProvider } from '@fastmeter/sdk';
import { FastPrometheusExporter } from '@fastmeter/exporters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing, needPeers, peers } from '../e2e/helpers/peers.js';
import { PrometheusServer } from '../e2e/helpers/prometheus-server.js';
import { freePort, poll, run, scratchDir } from '../e2e/helpers/proc.js';
import { parseOpenMetrics } from './helpers/openmetrics.js';

const p = peers();
const JOB = 'fast';
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('a real Prometheus scraping FastPrometheusExporter (OpenMetrics and classic text)', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>> | undefined;
  let prom: PrometheusServer | undefined;
  let provider: FastMeterProvider | undefined;
  let om: FastPrometheusExporter;
  let classic: FastPrometheusExporter;
  const instances: Record<'om' | 'classic', string> = { om: '', classic: '' };

  beforeAll(async () => {
    if (missing(p.prometheus).length > 0) return;
    dir = await scratchDir('fast-prometheus');
    const [omPort, classicPort] = [await freePort(), await freePort()];
    om = new FastPrometheusExporter({ host: '127.0.0.1', port: omPort });
    classic = new FastPrometheusExporter({ host: '127.0.0.1', port: classicPort, openMetrics: false });
    await Promise.all([om.startServer(), classic.startServer()]);
    instances.om = `127.0.0.1:${omPort}`;
    instances.classic = `127.0.0.1:${classicPort}`;
    provider = new FastMeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'fast-e2e', 'service.instance.id': 'i-1' }),
      readers: [om, classic],
    });
    const meter = provider.getMeter('shop', '1.2.0');
    const requests = meter.createCounter('http.server.requests', { description: 'Requests served' });
    requests.add(3, { method: 'GET', route: '/cart' });
    requests.add(2, { method: 'POST', route: '/cart' });
    requests.add(7, { method: 'GET', route: '/item/"quoted"\\path' });
    const duration = meter.createHistogram('http.server.duration', {
      unit: 'ms',
      description: 'Request time',
      advice: { explicitBucketBoundaries: [10, 100, 1000] },
    });
    for (const v of [5, 10, 50, 500, 5000]) duration.record(v, { route: '/cart' });
    meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT }).add(-4, { queue: 'mail' });
    meter.createGauge('temperature', { unit: 'Cel' }).record(21.5, { room: 'a' });
    prom = await PrometheusServer.start({
      binary: p.prometheus.path!,
      promtool: p.promtool.path,
      dir: dir.path,
      job: JOB,
      targets: [instances.om, instances.classic],
    });
    const settledAt = Date.now() / 1000;
    // Both targets scraped after the measurements.
    await poll(
      async () => {
        const stamps = await prom!.query(`timestamp(up{job="${JOB}"})`);
        return stamps.length === 2 && stamps.every(s => s.value > settledAt) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'a scrape of both targets', details: () => prom!.daemon.output },
    );
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await provider?.shutdown();
    await dir?.remove();
  });

  it('has both targets up, without errors, one negotiated as OpenMetrics', async ctx => {
    needPeers(ctx, p.prometheus);
    const targets = await prom!.targets();
    expect(targets.map(t => [t.labels.instance, t.health, t.lastError]).sort()).toEqual(
      [
        [instances.om, 'up', ''],
        [instances.classic, 'up', ''],
      ].sort(),
    );
    expect((await om.scrape(PROMETHEUS_ACCEPT)).contentType).toMatch(/^application\/openmetrics-text/);
    expect((await classic.scrape(PROMETHEUS_ACCEPT)).contentType).toBe('text/plain');
  });

  for (const format of ['om', 'classic'] as const) {
    it(`stores exactly the recorded values (${format === 'om' ? 'OpenMetrics' : 'classic text'})`, async ctx => {
      needPeers(ctx, p.prometheus);
      const at = `instance="${instances[format]}"`;
      const byLabels = async (expr: string, label: string) =>
        Object.fromEntries((await prom!.query(expr)).map(s => [s.metric[label] ?? '', s.value])) as Record<string, number>;
      expect(await byLabels(`http_server_requests_total{${at},route="/cart"}`, 'method')).toEqual({ GET: 3, POST: 2 });
      expect(await prom!.scalar(`http_server_requests_total{${at},route="/item/\\"quoted\\"\\\\path"}`)).toBe(7);
      expect(await byLabels(`http_server_duration_bucket{${at},route="/cart"}`, 'le')).toEqual({ '10': 2, '100': 3, '1000': 4, '+Inf': 5 });
      expect(await prom!.scalar(`http_server_duration_count{${at}}`)).toBe(5);
      expect(await prom!.scalar(`http_server_duration_sum{${at}}`)).toBe(5565);
      expect(await prom!.scalar(`queue_depth{${at},queue="mail"}`)).toBe(-4);
      expect(await prom!.scalar(`temperature{${at},room="a"}`)).toBe(21.5);
      expect(await prom!.scalar(`target_info{${at},service_name="fast-e2e",service_instance_id="i-1"}`)).toBe(1);
      // Every series carries the scope labels.
      const scopes = await prom!.query(`count by (otel_scope_name, otel_scope_version) ({${at}, __name__=~"http_.*|queue_depth|temperature"})`);
      expect(scopes.map(s => [s.metric.otel_scope_name, s.metric.otel_scope_version])).toEqual([['shop', '1.2.0']]);
    });
  }

  it('promtool check metrics passes on the classic text, with no lint finding', async ctx => {
    needPeers(ctx, p.promtool);
    const { body } = await classic.scrape();
    const r = await run(p.promtool.path!, ['check', 'metrics'], { input: body.toString(), timeoutMs: 15_000 });
    expect({ code: r.code, findings: `${r.stdout}\n${r.stderr}`.split('\n').filter(l => l.trim() !== '') }).toEqual({ code: 0, findings: [] });
  });

  it('the strict OpenMetrics parser reads the OpenMetrics text, with the same samples', async ctx => {
    needPeers(ctx, p.openMetricsParser);
    const { body } = await om.scrape(PROMETHEUS_ACCEPT);
    const [result] = await parseOpenMetrics(p.openMetricsParser.path!, [body.toString()]);
    if (!result.ok) throw new Error(result.error);
    const families = Object.fromEntries(result.families.map(f => [f.name, f]));
    expect(Object.fromEntries(result.families.map(f => [f.name, f.type]))).toEqual({
      target: 'info',
      http_server_requests: 'counter',
      http_server_duration: 'histogram',
      queue_depth: 'gauge',
      temperature: 'gauge',
    });
    const requests = families.http_server_requests.samples.map(s => [s.name, s.labels.method, s.labels.route, s.value]);
    expect(requests).toEqual([
      ['http_server_requests_total', 'GET', '/cart', 3],
      ['http_server_requests_total', 'POST', '/cart', 2],
      ['http_server_requests_total', 'GET', '/item/"quoted"\\path', 7],
    ]);
  });
});
