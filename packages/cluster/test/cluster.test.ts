// Real node:cluster workers under load (fixtures/worker.mjs); the test process
// is the primary. "Exact" means: the primary exports, for every series, the sum
// over workers of what each worker's syncs carried. A worker that ends through
// provider.shutdown() sends everything it recorded. A worker that dies
// (SIGKILL) keeps what the primary received from it, which is everything up to
// its last sync that was written to the channel; what it recorded after that
// sync is lost. Each worker logs its own tally at every sync (the exact content
// of that sync), so the test knows both without trusting the library.
import { setTimeout as sleep } from 'node:timers/promises';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClusterMetrics, attachClusterMetrics } from '../src/index.js';
import { Fleet, killScenario, request, total, until, waitFor } from './fleet.js';
import { TestReader } from './loopback.js';

/** The primary's export in the workers' tally format, plus the gauge points. */
async function exported(reader: TestReader, by?: string) {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const tallies = new Map<string, Record<string, number>>();
  const gauges = new Map<string, number>();
  const tallyOf = (attrs: Record<string, unknown>) => {
    const owner = by === undefined ? '' : String(attrs[by]);
    let t = tallies.get(owner);
    if (t === undefined) tallies.set(owner, (t = {}));
    return t;
  };
  for (const scope of resourceMetrics.scopeMetrics) {
    if (scope.scope.name !== 'load') continue;
    for (const metric of scope.metrics) {
      for (const p of metric.dataPoints as { attributes: Record<string, any>; value: any }[]) {
        const t = tallyOf(p.attributes);
        const { route, status } = p.attributes;
        switch (metric.descriptor.name) {
          case 'load.requests':
            t[`requests|${route}|${status}`] = p.value;
            break;
          case 'load.inflight':
            t[`inflight|${route}`] = p.value;
            break;
          case 'load.latency':
            t[`latency.count|${route}`] = p.value.count;
            t[`latency.sum|${route}`] = p.value.sum;
            for (const [i, c] of (p.value.buckets.counts as number[]).entries()) if (c > 0) t[`latency.bucket${i}|${route}`] = c;
            expect(p.value.buckets.boundaries).toEqual([1, 5, 10, 50, 100]);
            break;
          case 'load.last':
            gauges.set(by === undefined ? '' : String(p.attributes[by]), p.value);
            break;
        }
      }
    }
  }
  return { tallies, gauges };
}

let fleet: Fleet | undefined;
let hub: ClusterMetrics | undefined;
afterEach(async () => {
  hub?.close();
  hub = undefined;
  await fleet?.stop();
  fleet = undefined;
});

describe('a node:cluster fleet (real processes)', () => {
  for (const serialization of ['json', 'advanced'] as const) {
    it(`4 workers under load, one SIGKILLed mid-load and replaced: exact totals of counters, histograms, up-down counters and gauges (${serialization})`, async () => {
      fleet = new Fleet(100, serialization);
      const reader = new TestReader();
      const provider = new FastMeterProvider({ readers: [reader] });
      hub = attachClusterMetrics(provider);
      const OPS = 150_000;
      // Scrape all along: cumulative totals never go backwards, across the kill and the restart.
      let scraping = true;
      let scrapes = 0;
      const scraper = async () => {
        let previous = { requests: 0, count: 0 };
        while (scraping) {
          const t = (await exported(reader)).tallies.get('') ?? {};
          const now = { requests: total(t, 'requests|'), count: total(t, 'latency.count|') };
          expect(now.requests).toBeGreaterThanOrEqual(previous.requests);
          expect(now.count).toBeGreaterThanOrEqual(previous.count);
          previous = now;
          scrapes++;
          await sleep(50);
        }
      };
      const scraping$ = scraper();
      const { expected, gauge, kept, log, lastSeq } = await killScenario(fleet, hub, OPS).finally(() => (scraping = false));
      await scraping$;
      // Everything the killed worker had written to the channel arrived (a sync logged as written by a later sync).
      expect(lastSeq).toBeGreaterThanOrEqual(Math.max(...log.map(l => l.written)));
      // It was killed mid-load: part of what it recorded never reached a sync.
      expect(total(kept.tally, 'latency.count|')).toBeLessThan(OPS);
      expect(total(kept.tally, 'latency.count|')).toBeGreaterThan(0);

      const { tallies, gauges } = await exported(reader);
      const got = tallies.get('') ?? {};
      expect(Object.keys(got).length).toBeGreaterThan(40); // 20 request series, 5 routes × (inflight, count, sum, buckets)
      expect(got).toEqual(expected);
      expect(total(got, 'latency.count|')).toBe(4 * OPS + total(kept.tally, 'latency.count|'));
      expect(gauges.get('')).toBe(gauge);
      expect(scrapes).toBeGreaterThan(3);
      const stats = hub.stats();
      expect(stats.dropped).toEqual({ queue_full: 0, instrument_limit: 0, unsupported: 0, series_limit: 0, refused: 0, malformed: 0 });
      expect(stats.exited).toBe(1);
      expect(stats.workers).toEqual([]); // every survivor said bye at shutdown
      await provider.shutdown();
    }, 180_000);
  }

  it('per-worker series (workerAttribute): each process.pid has its own totals and gauge; an exited worker’s series leave after the retention', async () => {
    fleet = new Fleet(100);
    const reader = new TestReader();
    const provider = new FastMeterProvider({ readers: [reader] });
    hub = attachClusterMetrics(provider, { workerAttribute: 'pid', exitedWorkerRetentionMs: 500 });
    const workers = await Promise.all([0, 1, 2].map(i => fleet!.fork(i)));
    await Promise.all(workers.map((w, i) => request(w, { cmd: 'load', ops: 2_000 * (i + 1), batch: 500 }, 'loaded')));
    const done = await Promise.all(workers.map(w => request(w, { cmd: 'finish' }, 'done')));
    const { tallies, gauges } = await exported(reader, 'process.pid');
    expect([...tallies.keys()].sort()).toEqual(workers.map(w => String(w.process.pid)).sort());
    for (const [i, w] of workers.entries()) {
      expect(tallies.get(String(w.process.pid))).toEqual(done[i].tally);
      expect(gauges.get(String(w.process.pid))).toBe(done[i].gauge);
    }
    // Worker 0 exits: its series stay for the retention, then leave; the others stay.
    const gone = workers[0];
    gone.process.kill('SIGKILL');
    await waitFor(gone, 'exit', 10_000);
    await until(() => hub!.stats().exitedWorkers.find(w => w.pid === gone.process.pid), 'worker 0 released');
    expect((await exported(reader, 'process.pid')).tallies.has(String(gone.process.pid))).toBe(true);
    await sleep(800);
    const after = await exported(reader, 'process.pid');
    expect(after.tallies.has(String(gone.process.pid))).toBe(false);
    expect(after.tallies.get(String(workers[1].process.pid))).toEqual(done[1].tally);
    await provider.shutdown();
  }, 120_000);

  it('freshOnCollect: a scrape sees what workers recorded since their last sync, and a stopped worker (SIGSTOP) delays it by the timeout only', async () => {
    fleet = new Fleet(60_000); // no periodic sync during the test: only the flush brings data
    const reader = new TestReader();
    const provider = new FastMeterProvider({ readers: [reader] });
    hub = attachClusterMetrics(provider, { freshOnCollect: true, flushTimeoutMs: 400 });
    const [a, b] = await Promise.all([0, 1].map(i => fleet!.fork(i)));
    await until(() => (hub!.stats().workers.length === 2 ? true : undefined), 'both workers welcomed');
    await request(a, { cmd: 'record', value: 5, attrs: { route: '/fresh', status: 200 } }, 'recorded');
    await request(b, { cmd: 'record', value: 7, attrs: { route: '/fresh', status: 200 } }, 'recorded');
    let t0 = performance.now();
    let { tallies } = await exported(reader);
    expect(tallies.get('')?.['requests|/fresh|200']).toBe(12);
    expect(performance.now() - t0).toBeLessThan(400);
    expect(hub.stats().flushTimeouts).toBe(0);

    b.process.kill('SIGSTOP');
    try {
      await request(a, { cmd: 'record', value: 1, attrs: { route: '/fresh', status: 200 } }, 'recorded');
      t0 = performance.now();
      ({ tallies } = await exported(reader));
      const ms = performance.now() - t0;
      expect(tallies.get('')?.['requests|/fresh|200']).toBe(13);
      expect(ms).toBeGreaterThanOrEqual(380);
      expect(ms).toBeLessThan(3_000);
      expect(hub.stats().flushTimeouts).toBe(1);
    } finally {
      b.process.kill('SIGCONT');
    }
    // The stopped worker answers late; nothing is lost or counted twice.
    await request(b, { cmd: 'record', value: 100, attrs: { route: '/fresh', status: 200 } }, 'recorded');
    ({ tallies } = await exported(reader));
    expect(tallies.get('')?.['requests|/fresh|200']).toBe(113);
    await provider.shutdown();
  }, 60_000);
});
