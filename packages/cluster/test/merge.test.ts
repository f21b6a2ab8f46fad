// Workers' data merged into the primary's provider (in-process channels, see
// loopback.ts; the same with real processes is cluster.test.ts): one series per
// instrument and attribute set across workers, exact totals for every kind.
import { ValueType } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { AggregationType } from '@fastmeter/sdk';
import { describe, expect, it } from 'vitest';
import { ClusterWorker, type ClusterSyncInfo } from '../src/index.js';
import { points, primary, settle, workerProvider } from './loopback.js';

async function flushAll(...workers: { clusterWorker: { forceFlush(): Promise<void> } }[]) {
  await settle();
  await Promise.all(workers.map(w => w.clusterWorker.forceFlush()));
  await settle();
}

describe('merging workers into the primary', () => {
  for (const mode of ['json', 'advanced'] as const) {
    it(`adds counters, up-down counters and histograms of every worker into one series per attribute set (${mode})`, async () => {
      const { fake, reader } = primary({ mode });
      const ws = [0, 1, 2].map(() => workerProvider(fake.fork()));
      for (const [i, w] of ws.entries()) {
        const c = w.meter.createCounter('requests', { valueType: ValueType.INT });
        const d = w.meter.createCounter('bytes');
        const u = w.meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT });
        const h = w.meter.createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: [1, 10, 100] } });
        for (let n = 0; n < 100 * (i + 1); n++) {
          c.add(1 + (n % 3), { route: n % 2 ? '/a' : '/b' });
          d.add(0.25, { route: '/a' });
          u.add(n % 5 === 0 ? -1 : 1, { queue: 'q' });
          h.record(n % 150, { route: '/a' });
        }
      }
      await flushAll(...ws);
      const expected = { a: 0, b: 0, bytes: 0, depth: 0, count: 0, sum: 0, buckets: [0, 0, 0, 0], min: Infinity, max: -Infinity };
      for (let i = 0; i < 3; i++) {
        for (let n = 0; n < 100 * (i + 1); n++) {
          if (n % 2) expected.a += 1 + (n % 3);
          else expected.b += 1 + (n % 3);
          expected.bytes += 0.25;
          expected.depth += n % 5 === 0 ? -1 : 1;
          const v = n % 150;
          expected.count++;
          expected.sum += v;
          expected.buckets[v <= 1 ? 0 : v <= 10 ? 1 : v <= 100 ? 2 : 3]++;
          expected.min = Math.min(expected.min, v);
          expected.max = Math.max(expected.max, v);
        }
      }
      expect(await points(reader, 'requests')).toEqual([
        [{ route: '/b' }, expected.b],
        [{ route: '/a' }, expected.a],
      ]);
      expect(await points(reader, 'bytes')).toEqual([[{ route: '/a' }, expected.bytes]]);
      expect(await points(reader, 'queue.depth')).toEqual([[{ queue: 'q' }, expected.depth]]);
      expect(await points(reader, 'latency')).toEqual([
        [
          { route: '/a' },
          {
            count: expected.count,
            sum: expected.sum,
            min: expected.min,
            max: expected.max,
            buckets: { boundaries: [1, 10, 100], counts: expected.buckets },
          },
        ],
      ]);
    });
  }

  it('keeps the descriptor: meter scope, unit, description, value type, monotonicity', async () => {
    const { fake, reader } = primary();
    const w = workerProvider(fake.fork());
    w.provider
      .getMeter('svc', '2.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' })
      .createUpDownCounter('conns', {
        unit: '{connection}',
        description: 'Open connections',
        valueType: ValueType.INT,
      })
      .add(3);
    await flushAll(w);
    const { resourceMetrics } = await reader.collect();
    const scope = resourceMetrics.scopeMetrics.find(s => s.scope.name === 'svc');
    expect(scope?.scope).toEqual({ name: 'svc', version: '2.1.0', schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
    const metric = scope?.metrics[0] as any;
    expect(metric.descriptor).toMatchObject({ name: 'conns', unit: '{connection}', description: 'Open connections', valueType: ValueType.INT });
    expect(metric.isMonotonic).toBe(false);
    expect(metric.dataPoints[0].value).toBe(3);
  });

  it('gauges: the value of the sync applied last wins', async () => {
    const { fake, reader } = primary();
    const [a, b] = [workerProvider(fake.fork()), workerProvider(fake.fork())];
    const ga = a.meter.createGauge('temperature');
    const gb = b.meter.createGauge('temperature');
    ga.record(10, { room: 'x' });
    gb.record(20, { room: 'x' });
    ga.record(11, { room: 'x' });
    await flushAll(a);
    await flushAll(b);
    expect(await points(reader, 'temperature')).toEqual([[{ room: 'x' }, 20]]);
    ga.record(12, { room: 'x' });
    await flushAll(a);
    expect(await points(reader, 'temperature')).toEqual([[{ room: 'x' }, 12]]);
  });

  it('observable instruments of workers are exported as their synchronous counterparts, with exact totals', async () => {
    const { fake, reader } = primary();
    const ws = [workerProvider(fake.fork()), workerProvider(fake.fork())];
    const totals = [0, 0];
    for (const [i, w] of ws.entries()) {
      w.meter.createObservableCounter('cpu.time').addCallback(r => r.observe(totals[i], { cpu: '0' }));
      w.meter.createObservableGauge('heap').addCallback(r => r.observe(100 + i));
    }
    for (let round = 1; round <= 3; round++) {
      totals[0] += 5 * round;
      totals[1] += 7;
      await flushAll(...ws);
    }
    expect(await points(reader, 'cpu.time')).toEqual([[{ cpu: '0' }, totals[0] + totals[1]]]);
    expect((await points(reader, 'heap')).length).toBe(1);
  });

  it("merges with the primary's own measurements of the same instrument", async () => {
    const { fake, reader, provider } = primary();
    const w = workerProvider(fake.fork());
    provider.getMeter('app', '1.0.0').createCounter('jobs').add(2, { kind: 'x' });
    w.meter.createCounter('jobs').add(3, { kind: 'x' });
    await flushAll(w);
    expect(await points(reader, 'jobs')).toEqual([[{ kind: 'x' }, 5]]);
  });

  it('sends an attribute set once: later syncs carry only ids and values, and only of series that changed', async () => {
    const { fake, reader } = primary();
    const syncs: ClusterSyncInfo[] = [];
    const w = workerProvider(fake.fork(), { onSync: info => syncs.push(info) });
    const c = w.meter.createCounter('hits');
    const attrs = Array.from({ length: 50 }, (_, i) => ({ 'http.route': `/route/${i}`, 'http.request.method': 'GET', 'http.response.status_code': 200 }));
    for (const a of attrs) c.add(1, a);
    await flushAll(w);
    for (const a of attrs) c.add(1, a);
    await flushAll(w);
    c.add(1, attrs[7]);
    await flushAll(w);
    await flushAll(w);
    const withData = syncs.filter(s => s.values > 0);
    expect(withData.map(s => [s.definitions, s.values])).toEqual([
      [51, 50], // the instrument and its 50 series, defined once
      [0, 50],
      [0, 1],
    ]);
    expect(withData[1].bytes).toBeLessThan(withData[0].bytes / 10);
    expect(withData[2].bytes).toBeLessThanOrEqual(10);
    // A sync with nothing new is a few bytes (it tells the primary the worker is alive).
    expect(Math.max(...syncs.filter(s => s.values === 0).map(s => s.bytes))).toBeLessThanOrEqual(6);
    const exported = await points(reader, 'hits');
    expect(exported.length).toBe(50);
    expect(exported.reduce((n, [, v]) => n + v, 0)).toBe(101);
  });

  it('per-worker series: workerAttribute "id" adds cluster.worker.id, a custom key is honoured', async () => {
    const { fake, reader } = primary({ workerAttribute: 'id', workerAttributeKey: 'worker' });
    const ws = [workerProvider(fake.fork()), workerProvider(fake.fork())];
    ws[0].meter.createCounter('c').add(1, { a: 'x' });
    ws[1].meter.createCounter('c').add(2, { a: 'x' });
    await flushAll(...ws);
    expect(await points(reader, 'c')).toEqual([
      [{ a: 'x', worker: 1 }, 1],
      [{ a: 'x', worker: 2 }, 2],
    ]);
  });

  it('released idle series: the primary forgets their ids, keeps their totals, and they come back as new ids', async () => {
    const { fake, reader, hub } = primary();
    const w = workerProvider(fake.fork(), { releaseAfter: 2 });
    const c = w.meter.createCounter('c');
    c.add(5, { k: 'idle' });
    c.add(1, { k: 'busy' });
    await flushAll(w);
    expect(hub.stats().series).toBe(2);
    for (let i = 0; i < 3; i++) {
      c.add(1, { k: 'busy' });
      await flushAll(w);
    }
    expect(w.clusterWorker.stats()).toMatchObject({ series: 1, released: 1 });
    expect(hub.stats().series).toBe(1);
    c.add(2, { k: 'idle' });
    await flushAll(w);
    expect(hub.stats().series).toBe(2);
    expect(await points(reader, 'c')).toEqual([
      [{ k: 'idle' }, 7],
      [{ k: 'busy' }, 4],
    ]);
  });

  it('a worker stream at its cardinality limit: its overflow series merges like any other, totals exact', async () => {
    const { fake, reader } = primary();
    const ws = [0, 1].map(() => workerProvider(fake.fork(), {}, { views: [{ instrumentName: 'c', aggregationCardinalityLimit: 3 }] }));
    for (const w of ws) {
      const c = w.meter.createCounter('c');
      for (let i = 0; i < 10; i++) c.add(1, { i });
    }
    await flushAll(...ws);
    const exported = await points(reader, 'c');
    expect(exported.reduce((n, [, v]) => n + v, 0)).toBe(20);
    expect(exported.find(([a]) => a['otel.metric.overflow'] === true)?.[1]).toBe(16);
  });

  it('workers and the primary all at their cardinality limit: one overflow series, totals exact', async () => {
    const { fake, reader } = primary({}, { views: [{ instrumentName: 'c', aggregationCardinalityLimit: 4 }] });
    const ws = [0, 1].map(() => workerProvider(fake.fork(), {}, { views: [{ instrumentName: 'c', aggregationCardinalityLimit: 3 }] }));
    for (const [n, w] of ws.entries()) {
      const c = w.meter.createCounter('c');
      for (let i = 0; i < 10; i++) c.add(1, { i: n * 10 + i });
      await flushAll(w);
    }
    const exported = await points(reader, 'c');
    expect(exported.filter(([a]) => a['otel.metric.overflow'] === true)).toEqual([[{ 'otel.metric.overflow': true }, 17]]);
    expect(exported.length).toBe(4);
    expect(exported.reduce((n, [, v]) => n + v, 0)).toBe(20);
  });

  it('a histogram the primary cannot merge (a primary view changed its boundaries) is refused and counted', async () => {
    const { fake, reader, hub } = primary(
      {},
      { views: [{ instrumentName: 'h', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [5] } } }] },
    );
    const w = workerProvider(fake.fork());
    w.meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 2] } }).record(1);
    await flushAll(w);
    expect(hub.stats().dropped.refused).toBe(1);
    expect((await points(reader, 'h')).map(([, v]) => v.count)).toEqual([0]);
  });

  it("a worker on sdk-metrics' MeterProvider (no read seam: the MetricData path) merges the same, exactly", async () => {
    const { fake, reader } = primary();
    const fm = workerProvider(fake.fork());
    const clusterWorker = new ClusterWorker({ intervalMs: 60_000, channel: fake.fork().channel() });
    const sdk = new MeterProvider({ readers: [clusterWorker as never] });
    for (const meter of [fm.meter, sdk.getMeter('app', '1.0.0')]) {
      meter.createCounter('c', { valueType: ValueType.INT }).add(3, { k: 'v' });
      meter.createUpDownCounter('u').add(-2.5);
      meter.createHistogram('h', { advice: { explicitBucketBoundaries: [10] } }).record(4, { k: 'v' });
      meter.createGauge('g').record(8);
      meter.createObservableGauge('og').addCallback(r => r.observe(1, { o: 1 }));
    }
    await flushAll(fm, { clusterWorker });
    expect(await points(reader, 'c')).toEqual([[{ k: 'v' }, 6]]);
    expect(await points(reader, 'u')).toEqual([[{}, -5]]);
    expect(await points(reader, 'h')).toEqual([[{ k: 'v' }, { count: 2, sum: 8, min: 4, max: 4, buckets: { boundaries: [10], counts: [2, 0] } }]]);
    expect(await points(reader, 'g')).toEqual([[{}, 8]]);
    expect(await points(reader, 'og')).toEqual([[{ o: 1 }, 1]]);
    // collect() on the reader returns the collection, and what it returned also reaches the primary.
    sdk.getMeter('app', '1.0.0').createCounter('c', { valueType: ValueType.INT }).add(1, { k: 'v' });
    fm.meter.createCounter('c', { valueType: ValueType.INT }).add(1, { k: 'v' });
    for (const r of [clusterWorker, fm.clusterWorker]) {
      const { resourceMetrics } = await r.collect();
      const c = resourceMetrics.scopeMetrics[0].metrics.find(m => m.descriptor.name === 'c');
      expect(c?.dataPoints.map(p => [p.attributes, p.value])).toEqual([[{ k: 'v' }, 1]]);
    }
    await flushAll(fm, { clusterWorker });
    expect(await points(reader, 'c')).toEqual([[{ k: 'v' }, 8]]);
    await sdk.shutdown();
  });

  it("a worker's own self-metrics (meter fastmeter) stay in the worker; the primary's are its own", async () => {
    const { fake, reader } = primary({}, { selfMetrics: true });
    const w = workerProvider(fake.fork(), {}, { selfMetrics: true });
    w.meter.createCounter('c').add(1, { a: 'b' });
    await flushAll(w);
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const self = resourceMetrics.scopeMetrics.filter(s => s.scope.name === 'fastmeter');
    expect(self).toHaveLength(1);
    const names = self[0].metrics.map(m => m.descriptor.name);
    expect(new Set(names).size).toBe(names.length);
    // The primary's own count: the one series it created for the worker's counter.
    expect(self[0].metrics.find(m => m.descriptor.name === 'fastmeter.series.created')?.dataPoints[0].value).toBe(1);
  });
});
