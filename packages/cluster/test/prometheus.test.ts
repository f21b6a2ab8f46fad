// A real Prometheus server (Debian's 2.42, loopback, 1 s scrapes) scrapes the
// primary of a real node:cluster fleet: the standard PrometheusExporter on the
// primary's FastMeterProvider, with freshOnCollect (every scrape asks the
// workers for fresh data). The fleet runs the same scenario as cluster.test.ts
// (4 workers under load, one SIGKILLed and replaced); Prometheus must then
// store exactly what the workers' logs say was sent.
import { type Server, createServer } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing, needPeers, peers } from '../../../test/e2e/helpers/peers.js';
import { PrometheusServer } from '../../../test/e2e/helpers/prometheus-server.js';
import { poll, scratchDir } from '../../../test/e2e/helpers/proc.js';
import { type ClusterMetrics, attachClusterMetrics } from '../src/index.js';
import { Fleet, type KillScenario, killScenario } from './fleet.js';

const JOB = 'cluster';
const BOUNDS = [1, 5, 10, 50, 100];
const p = peers();

describe('a real Prometheus server scraping the primary of a node:cluster fleet', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>> | undefined;
  let fleet: Fleet | undefined;
  let hub: ClusterMetrics | undefined;
  let provider: FastMeterProvider | undefined;
  let server: Server | undefined;
  let prom: PrometheusServer | undefined;
  let scenario: KillScenario;

  beforeAll(async () => {
    if (missing(p.prometheus).length > 0) return;
    dir = await scratchDir('cluster-prometheus');
    const exporter = new PrometheusExporter({ preventServerStart: true });
    provider = new FastMeterProvider({ readers: [exporter] });
    hub = attachClusterMetrics(provider, { freshOnCollect: true, flushTimeoutMs: 300 });
    server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    prom = await PrometheusServer.start({ binary: p.prometheus.path!, promtool: p.promtool.path, dir: dir.path, job: JOB, targets: [`127.0.0.1:${port}`] });
    fleet = new Fleet(200);
    scenario = await killScenario(fleet, hub, 150_000);
    // Wait for a scrape that started after everything settled.
    const settledAt = Date.now() / 1000;
    await poll(
      async () => {
        const [t] = await prom!.query(`timestamp(up{job="${JOB}"})`);
        return t !== undefined && t.value > settledAt + 0.1 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'a Prometheus scrape after the load', details: () => prom!.daemon.output },
    );
  }, 180_000);

  afterAll(async () => {
    await prom?.stop();
    hub?.close();
    await fleet?.stop();
    await new Promise(resolve => (server ? server.close(resolve) : resolve(undefined)));
    await provider?.shutdown();
    await dir?.remove();
  });

  it('scrapes the primary without errors', async ctx => {
    needPeers(ctx, p.prometheus);
    const [target] = await prom!.targets();
    expect(target).toMatchObject({ health: 'up', lastError: '' });
  });

  it('stores exact counter, up-down counter and gauge values: what the workers sent, the killed one included', async ctx => {
    needPeers(ctx, p.prometheus);
    const { expected } = scenario;
    const requests = await prom!.query(`load_requests_total{job="${JOB}"}`);
    const inflight = await prom!.query(`load_inflight{job="${JOB}"}`);
    const wantRequests = Object.entries(expected).filter(([k]) => k.startsWith('requests|'));
    const wantInflight = Object.entries(expected).filter(([k]) => k.startsWith('inflight|'));
    expect(wantRequests.length).toBe(20);
    expect(Object.fromEntries(requests.map(s => [`requests|${s.metric.route}|${s.metric.status}`, s.value]))).toEqual(Object.fromEntries(wantRequests));
    expect(Object.fromEntries(inflight.map(s => [`inflight|${s.metric.route}`, s.value]))).toEqual(Object.fromEntries(wantInflight));
    expect(await prom!.scalar(`load_last{job="${JOB}"}`)).toBe(scenario.gauge);
  });

  it('stores exact histogram counts, sums and every bucket', async ctx => {
    needPeers(ctx, p.prometheus);
    const { expected } = scenario;
    const routes = Object.keys(expected)
      .filter(k => k.startsWith('latency.count|'))
      .map(k => k.split('|')[1]);
    expect(routes.length).toBe(5);
    const counts = await prom!.query(`load_latency_count{job="${JOB}"}`);
    const sums = await prom!.query(`load_latency_sum{job="${JOB}"}`);
    const buckets = await prom!.query(`load_latency_bucket{job="${JOB}"}`);
    expect(buckets.length).toBe(routes.length * (BOUNDS.length + 1));
    for (const route of routes) {
      expect(counts.find(s => s.metric.route === route)?.value).toBe(expected[`latency.count|${route}`]);
      expect(sums.find(s => s.metric.route === route)?.value).toBe(expected[`latency.sum|${route}`]);
      let cumulative = 0;
      for (const [i, le] of [...BOUNDS.map(String), '+Inf'].entries()) {
        cumulative += expected[`latency.bucket${i}|${route}`] ?? 0;
        expect(buckets.find(s => s.metric.route === route && s.metric.le === le)?.value, `${route} le=${le}`).toBe(cumulative);
      }
      expect(cumulative).toBe(expected[`latency.count|${route}`]);
    }
  });
});
