// @fastmeter/ring's queries against a real Prometheus (Debian's 2.42), over the
// very same samples. A loopback /metrics endpoint answers each scrape by
// collecting through the RingBufferReader (ring.collect(): the ring stores the
// collection) and serialising that collection with the standard exporter's
// PrometheusSerializer, timestamps included (Prometheus honours them). So both
// hold identical (time, value) samples, and the answers of rate, increase,
// histogram_quantile and avg_over_time over the same windows must agree.
//
// Intended difference, tested at the end: Prometheus 2.x selects a range
// inclusively, [t - r, t]; the ring, as Prometheus 3, (t - r, t]. They differ
// only when a sample lies exactly on t - r.
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import { FastMeterProvider } from '@fastmeter/sdk';
import { RingBufferReader } from '@fastmeter/ring';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing, needPeers, peers } from './helpers/peers.js';
import { PrometheusServer } from './helpers/prometheus-server.js';
import { fetchWithTimeout, poll, scratchDir } from './helpers/proc.js';

const JOB = 'ring-diff';
const ROUTES = ['/cart', '/checkout', '/search'];
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const SCRAPES = 80;
const p = peers();

/** A seeded PRNG, so that a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function close(ring: number, prom: number, what: string): void {
  expect(Number.isFinite(ring), `${what}: ring answered ${ring}`).toBe(true);
  expect(Math.abs(ring - prom), `${what}: ring ${ring} vs Prometheus ${prom}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(prom)));
}

describe('ring queries against a real Prometheus (2.42) over the same samples', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>> | undefined;
  let server: Server | undefined;
  let prom: PrometheusServer | undefined;
  let provider: FastMeterProvider | undefined;
  let load: ReturnType<typeof setInterval> | undefined;
  let ring: RingBufferReader;
  let scrapes = 0;
  /** Sample times (ms) both hold, oldest first. */
  let times: number[] = [];

  /** Prometheus' instant query at `t` (ms); label `route` → value. */
  async function promQuery(expr: string, t: number): Promise<Record<string, number>> {
    const url = `${prom!.url}/api/v1/query?query=${encodeURIComponent(expr)}&time=${(t / 1000).toFixed(3)}`;
    const body = (await (await fetchWithTimeout(url)).json()) as any;
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return Object.fromEntries(body.data.result.map((r: any) => [r.metric.route ?? '', Number(r.value[1])]));
  }

  function ringQuery(expr: string, t: number): Record<string, number> {
    return Object.fromEntries(ring.query(expr, { time: t }).samples.map(s => [s.labels.route ?? '', s.value]));
  }

  /** Evaluation times: 400 ms after held samples, no sample exactly on t - range for the ranges used. */
  function evaluationTimes(ranges: number[]): number[] {
    const out: number[] = [];
    for (const k of [times.length - 3, times.length - 15, times.length - 10]) {
      const t = times[k] + 400;
      if (ranges.every(r => !times.includes(t - r))) out.push(t);
    }
    return out;
  }

  beforeAll(async () => {
    if (missing(p.prometheus).length > 0) return;
    dir = await scratchDir('ring-prometheus');
    // The ring collects only when Prometheus scrapes (its own timer would add samples Prometheus never sees).
    ring = new RingBufferReader({ intervalMillis: 3_600_000 });
    provider = new FastMeterProvider({ readers: [ring], resource: resourceFromAttributes({ 'service.name': 'ring-diff' }) });
    const meter = provider.getMeter('ring-diff');
    const requests = meter.createCounter('ring.requests');
    const latency = meter.createHistogram('ring.latency', { unit: 's', advice: { explicitBucketBoundaries: BOUNDS } });
    const queue = meter.createUpDownCounter('ring.queue');
    const r = rng(12);
    load = setInterval(() => {
      for (const route of ROUTES) {
        const n = Math.floor(r() * 6);
        requests.add(n + (r() < 0.3 ? 0.5 : 0), { route });
        for (let i = 0; i < n; i++) latency.record(Math.exp(r() * 6 - 6.5), { route });
        queue.add(Math.floor(r() * 7) - 3, { route });
      }
    }, 37);
    const serializer = new PrometheusSerializer(undefined, true);
    server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      ring
        .collect()
        .then(({ resourceMetrics }) => {
          scrapes++;
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(serializer.serialize(resourceMetrics as never));
        })
        .catch(err => res.writeHead(500).end(String(err)));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address() as { port: number };
    prom = await PrometheusServer.start({
      binary: p.prometheus.path!,
      promtool: p.promtool.path,
      dir: dir.path,
      job: JOB,
      targets: [`127.0.0.1:${address.port}`],
    });
    await poll(async () => (scrapes >= SCRAPES ? true : undefined), {
      timeoutMs: 150_000,
      intervalMs: 500,
      what: `${SCRAPES} scrapes`,
      details: () => prom!.daemon.output,
    });
    clearInterval(load);
    times = ring.read('ring.requests{route="/cart"}')[0].times;
    // Prometheus has ingested the last scrape we use.
    await poll(
      async () =>
        (await promQuery('count_over_time(ring_requests_total{route="/cart"}[10m])', times[times.length - 1] + 1))['/cart'] >= times.length - 1
          ? true
          : undefined,
      {
        timeoutMs: 20_000,
        what: 'Prometheus to hold the samples',
      },
    );
  }, 200_000);

  afterAll(async () => {
    if (load !== undefined) clearInterval(load);
    await prom?.stop();
    await new Promise(resolve => (server === undefined ? resolve(undefined) : server.close(resolve)));
    await provider?.shutdown();
    await dir?.remove();
  });

  it('holds every sample Prometheus scraped, with the same timestamps and values', async ctx => {
    needPeers(ctx, p.prometheus);
    expect(times.length).toBeGreaterThanOrEqual(SCRAPES - 2);
    const t = times[times.length - 1];
    const body = (await (
      await fetchWithTimeout(`${prom!.url}/api/v1/query?query=${encodeURIComponent('ring_requests_total{route="/cart"}[10m]')}&time=${(t / 1000).toFixed(3)}`)
    ).json()) as any;
    const promSamples: [number, string][] = body.data.result[0].values;
    const held = ring.read('ring.requests{route="/cart"}', { end: t })[0];
    const fromProm = promSamples.map(([ts, v]) => [Math.round(ts * 1000), Number(v)]);
    const fromRing = held.times.map((ts, i) => [ts, held.values[i]]);
    // Prometheus may have missed the very first collections (before its first scrape); the rest is identical.
    expect(fromRing.slice(fromRing.length - fromProm.length)).toEqual(fromProm);
    expect(fromProm.length).toBeGreaterThanOrEqual(SCRAPES - 5);
  });

  it('rate and increase agree, per route, over 30 s and 1 min windows', async ctx => {
    needPeers(ctx, p.prometheus);
    let compared = 0;
    for (const range of [30_000, 60_000]) {
      for (const t of evaluationTimes([range])) {
        for (const fn of ['rate', 'increase']) {
          const want = await promQuery(`${fn}(ring_requests_total[${range / 1000}s])`, t);
          const got = ringQuery(`${fn}(ring.requests[${range / 1000}s])`, t);
          expect(Object.keys(got).sort()).toEqual(ROUTES);
          for (const route of ROUTES) {
            close(got[route], want[route], `${fn} ${route} [${range / 1000}s] @${t}`);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(24);
  });

  it('histogram_quantile over rate() of the buckets agrees (classic le semantics)', async ctx => {
    needPeers(ctx, p.prometheus);
    let compared = 0;
    for (const t of evaluationTimes([60_000])) {
      for (const q of [0.5, 0.9, 0.99]) {
        const want = await promQuery(`histogram_quantile(${q}, rate(ring_latency_bucket[1m]))`, t);
        const got = ringQuery(`histogram_quantile(${q}, rate(ring.latency[1m]))`, t);
        const classic = ringQuery(`histogram_quantile(${q}, sum by (route, le) (rate(ring_latency_bucket[1m])))`, t);
        for (const route of ROUTES) {
          close(got[route], want[route], `p${q * 100} ${route} @${t}`);
          close(classic[route], want[route], `classic p${q * 100} ${route} @${t}`);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(18);
  });

  it('avg_over_time, min/max_over_time and histogram count/sum rates agree', async ctx => {
    needPeers(ctx, p.prometheus);
    let compared = 0;
    for (const t of evaluationTimes([60_000])) {
      for (const [ringExpr, promExpr] of [
        ['avg_over_time(ring.queue[1m])', 'avg_over_time(ring_queue[1m])'],
        ['max_over_time(ring.queue[1m])', 'max_over_time(ring_queue[1m])'],
        ['rate(ring.latency_count[1m])', 'rate(ring_latency_count[1m])'],
        ['rate(ring.latency_sum[1m])', 'rate(ring_latency_sum[1m])'],
        ['sum by (route) (rate(ring.requests[1m]))', 'sum by (route) (rate(ring_requests_total[1m]))'],
      ]) {
        const want = await promQuery(promExpr, t);
        const got = ringQuery(ringExpr, t);
        for (const route of ROUTES) {
          close(got[route], want[route], `${ringExpr} ${route} @${t}`);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(30);
  });

  it("intended difference: a sample exactly on the range start is in Prometheus 2.x's window, not in the ring's", async ctx => {
    needPeers(ctx, p.prometheus);
    const range = 30_000;
    // t such that t - range is a sample time: 2.42 includes that sample, the ring (like Prometheus 3) does not.
    const k = times.length - 5;
    const start = times.findIndex(x => x >= times[k] - range);
    const t = times[start] + range;
    const promCount = (await promQuery('count_over_time(ring_requests_total[30s])', t))['/cart'];
    const ringCount = ringQuery('count_over_time(ring.requests[30s])', t)['/cart'];
    const inclusive = times.filter(x => x >= t - range && x <= t).length;
    expect(promCount).toBe(inclusive);
    expect(ringCount).toBe(inclusive - 1);
  });
});
