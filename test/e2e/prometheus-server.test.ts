// A real Prometheus server (Debian's prometheus 2.42, loopback, 1 s scrape
// interval) scrapes examples/http-service, which runs on FastMeterProvider
// behind the standard PrometheusExporter. The test sends the service a known
// request mix, then asks Prometheus' HTTP API what it stored and compares it
// with what the client saw and with the service's own /metrics: counters,
// the up-down counter, gauges, every histogram bucket, and histogram_quantile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Family, type HistogramSeries, findFamily, histogramQuantile, histogramSeries, labelKey, parseExposition, sumByLe } from './helpers/exposition.js';
import { missing, needPeers, peers } from './helpers/peers.js';
import { type PromSample, PrometheusServer } from './helpers/prometheus-server.js';
import { fetchWithTimeout, poll, scratchDir } from './helpers/proc.js';
import { MIX, type Service, type Tally, sendMix, settle, startService } from './helpers/service.js';

const JOB = 'http-service';
const p = peers();

/** Prometheus' answer as `{ "<label values joined by space>": value }`. */
function byLabels(samples: PromSample[], labels: string[]): Record<string, number> {
  return Object.fromEntries(samples.map(s => [labels.map(l => s.metric[l] ?? '').join(' '), s.value]));
}

/** The labels Prometheus adds to every scraped series. */
const withoutTargetLabels = (metric: Record<string, string>) => {
  const { __name__: _n, job: _j, instance: _i, ...rest } = metric;
  return rest;
};

describe('a real Prometheus server scraping examples/http-service (FastMeterProvider + PrometheusExporter)', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>> | undefined;
  let service: Service | undefined;
  let prom: PrometheusServer | undefined;
  let tally: Tally;
  let families: Map<string, Family>;
  let duration: Family;
  let instance: string;

  beforeAll(async () => {
    if (missing(p.prometheus).length > 0) return;
    dir = await scratchDir('prometheus');
    service = await startService();
    instance = new URL(service.base).host;
    prom = await PrometheusServer.start({ binary: p.prometheus.path!, promtool: p.promtool.path, dir: dir.path, job: JOB, targets: [instance] });
    // The known load, sent while Prometheus waits for its first scrape (~5 s after start).
    tally = await sendMix(service.base);
    await settle();
    families = parseExposition(await (await fetchWithTimeout(service.metricsUrl)).text());
    duration = findFamily(families, 'http_server_request_duration', 'histogram');
    // Wait for a scrape that started after the service settled: from then on, every
    // value but the process memory gauge is final.
    const settledAt = Date.now() / 1000;
    await poll(
      async () => {
        const [t] = await prom!.query(`timestamp(up{job="${JOB}"})`);
        return t !== undefined && t.value > settledAt ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'a Prometheus scrape after the load', details: () => prom!.daemon.output },
    );
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await service?.daemon.stop();
    await dir?.remove();
  });

  it('has the target up, with no scrape error, and ingested every sample the service exposes', async ctx => {
    needPeers(ctx, p.prometheus);
    const targets = await prom!.targets();
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ health: 'up', lastError: '', scrapeUrl: service!.metricsUrl, labels: { job: JOB, instance } });
    expect(await prom!.scalar(`up{job="${JOB}"}`)).toBe(1);
    const samples = [...families.values()].reduce((n, f) => n + f.samples.length, 0);
    expect(await prom!.scalar(`scrape_samples_scraped{job="${JOB}"}`)).toBe(samples);
  });

  it('stores request counts equal to the known request mix, per route and per status', async ctx => {
    needPeers(ctx, p.prometheus);
    const h = duration.name;
    // The service's exposition agrees with the client...
    const exposed: Record<string, number> = {};
    for (const s of duration.samples.filter(s => s.name === `${h}_count`)) {
      const key = `${s.labels.http_route} ${s.labels.http_response_status_code}`;
      exposed[key] = (exposed[key] ?? 0) + s.value;
    }
    expect(exposed).toEqual(tally.byRouteStatus);
    // ...and so does Prometheus.
    const perStatus = await prom!.query(`sum by (http_route, http_response_status_code) (${h}_count{job="${JOB}"})`);
    expect(byLabels(perStatus, ['http_route', 'http_response_status_code'])).toEqual(tally.byRouteStatus);
    const perRoute = await prom!.query(`sum by (http_route) (${h}_count{job="${JOB}"})`);
    expect(byLabels(perRoute, ['http_route'])).toEqual(Object.fromEntries(MIX.map(k => [k.route, k.count])));
    expect(await prom!.scalar(`sum(${h}_count{job="${JOB}"})`)).toBe(MIX.reduce((n, k) => n + k.count, 0));
    const perMethod = await prom!.query(`sum by (http_request_method) (${h}_count{job="${JOB}"})`);
    expect(byLabels(perMethod, ['http_request_method'])).toEqual(tally.byMethod);
  });

  it('stores the orders counter: one per 201 answer, split by channel as the service exposes it', async ctx => {
    needPeers(ctx, p.prometheus);
    const orders = findFamily(families, 'app_orders_created', 'counter');
    expect(orders.name).toMatch(/_total$/);
    const accepted = tally.byRouteStatus['/api/orders 201'] ?? 0;
    expect(accepted).toBeGreaterThan(0);
    expect(await prom!.scalar(`sum(${orders.name}{job="${JOB}"})`)).toBe(accepted);
    const exposed = Object.fromEntries(orders.samples.map(s => [s.labels.order_channel, s.value]));
    expect(Object.values(exposed).reduce((a, b) => a + b, 0)).toBe(accepted);
    expect(byLabels(await prom!.query(`sum by (order_channel) (${orders.name}{job="${JOB}"})`), ['order_channel'])).toEqual(exposed);
  });

  it('stores the up-down counter http_server_active_requests, back to 0 for every method once the load is over', async ctx => {
    needPeers(ctx, p.prometheus);
    const active = findFamily(families, 'http_server_active_requests', 'gauge');
    const stored = await prom!.query(`${active.name}{job="${JOB}"}`);
    expect(byLabels(stored, ['http_request_method'])).toEqual({ GET: 0, POST: 0 });
    // It did count: its series exist because requests went up and down through it.
    expect(active.samples.map(s => [s.labels.http_request_method, s.value]).sort()).toEqual([
      ['GET', 0],
      ['POST', 0],
    ]);
  });

  it('stores the gauge app_queue_depth, back to 0', async ctx => {
    needPeers(ctx, p.prometheus);
    const queue = findFamily(families, 'app_queue_depth', 'gauge');
    expect(queue.samples.map(s => s.value)).toEqual([0]);
    expect(await prom!.scalar(`${queue.name}{job="${JOB}"}`)).toBe(0);
    // Over the run it never exceeded the orders accepted, and never went negative.
    const max = await prom!.scalar(`max_over_time(${queue.name}{job="${JOB}"}[5m])`);
    expect(max).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(tally.byRouteStatus['/api/orders 201'] ?? 0);
    // (process.memory.usage now comes from @fastmeter/node's runtime metrics, checked against the RSS in
    // packages/node/test/register.test.ts; they are off here so that two scrapes have the same series.)
  });

  it('stores every histogram bucket, sum and count exactly as the service exposes them', async ctx => {
    needPeers(ctx, p.prometheus);
    const size = findFamily(families, 'http_server_response_body_size', 'histogram');
    for (const family of [duration, size]) {
      const exposed = histogramSeries(family);
      for (const suffix of ['_bucket', '_sum', '_count']) {
        const stored = await prom!.query(`${family.name}${suffix}{job="${JOB}"}`);
        const want = family.samples.filter(s => s.name === family.name + suffix);
        expect(want.length, `${family.name}${suffix} exposed`).toBeGreaterThan(0);
        expect(stored.length, `${family.name}${suffix} series`).toBe(want.length);
        const got = new Map(stored.map(s => [labelKey(withoutTargetLabels(s.metric)), s.value]));
        for (const s of want) expect(got.get(labelKey(s.labels)), `${s.name}${labelKey(s.labels)}`).toBe(s.value);
      }
      // Each series' buckets are cumulative and end with +Inf = count.
      for (const s of exposed.values()) {
        expect(s.buckets.at(-1)).toEqual([Number.POSITIVE_INFINITY, s.count]);
        for (let i = 1; i < s.buckets.length; i++) expect(s.buckets[i][1]).toBeGreaterThanOrEqual(s.buckets[i - 1][1]);
      }
    }
    // The view on the size histogram keeps method and route only.
    expect(await prom!.query(`${size.name}_count{job="${JOB}", http_response_status_code!=""}`)).toEqual([]);
    const perRoute = await prom!.query(`sum by (http_route) (${size.name}_count{job="${JOB}"})`);
    expect(byLabels(perRoute, ['http_route'])).toEqual(tally.byRoute);
  });

  it('answers histogram_quantile over our buckets with the quantile computed from the exposition', async ctx => {
    needPeers(ctx, p.prometheus);
    const h = duration.name;
    const series = [...histogramSeries(duration).values()];
    // The duration buckets are the example's advice (semantic-convention seconds).
    expect(series[0].buckets.map(([le]) => le)).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, Number.POSITIVE_INFINITY]);
    for (const q of [0.25, 0.5, 0.9, 0.99]) {
      const stored = await prom!.scalar(`histogram_quantile(${q}, sum by (le) (${h}_bucket{job="${JOB}"}))`);
      const expected = histogramQuantile(q, sumByLe(series));
      expect(Number.isFinite(expected)).toBe(true);
      expect(stored, `q=${q}`).toBeCloseTo(expected, 12);
    }
    const byRoute = new Map<string, HistogramSeries[]>();
    for (const s of series) byRoute.set(s.labels.http_route, [...(byRoute.get(s.labels.http_route) ?? []), s]);
    const stored = await prom!.query(`histogram_quantile(0.9, sum by (le, http_route) (${h}_bucket{job="${JOB}"}))`);
    expect(stored.map(s => s.metric.http_route).sort()).toEqual([...byRoute.keys()].sort());
    for (const s of stored) expect(s.value, s.metric.http_route).toBeCloseTo(histogramQuantile(0.9, sumByLe(byRoute.get(s.metric.http_route)!)), 12);
  });

  it("keeps the exporter's metadata (types, help) and the resource and scope labels", async ctx => {
    needPeers(ctx, p.prometheus);
    const metadata = await poll(
      async () => {
        const m = await prom!.metadata();
        return m[duration.name] ? m : undefined;
      },
      { timeoutMs: 10_000, what: 'Prometheus metadata' },
    );
    const typeOf = (base: string, type: string) => metadata[findFamily(families, base, type).name]?.[0];
    expect(typeOf('http_server_request_duration', 'histogram')).toMatchObject({ type: 'histogram', help: 'Duration of HTTP server requests.' });
    expect(typeOf('app_orders_created', 'counter')).toMatchObject({ type: 'counter', help: 'Orders accepted.' });
    expect(typeOf('http_server_active_requests', 'gauge')).toMatchObject({ type: 'gauge', help: 'Number of active HTTP server requests.' });
    expect(typeOf('app_queue_depth', 'gauge')).toMatchObject({ type: 'gauge', help: 'Orders waiting for fulfilment.' });
    expect(metadata.target_info?.[0]).toMatchObject({ type: 'gauge' });

    const [info] = await prom!.query(`target_info{job="${JOB}"}`);
    expect(info.metric).toMatchObject({ service_name: 'http-service', service_version: '1.0.0' });
    expect(info.value).toBe(1);
    const scopes = await prom!.query(`count by (otel_scope_name, otel_scope_version) ({job="${JOB}", otel_scope_name!=""})`);
    expect(scopes.map(s => withoutTargetLabels(s.metric))).toEqual([{ otel_scope_name: 'example.http-service', otel_scope_version: '1.0.0' }]);
  });
});
