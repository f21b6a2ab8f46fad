// Faults and bounds, in-process (loopback.ts): a channel that does not drain,
// a primary that restarts or receives garbage, a worker that does not answer,
// limits on both sides, bad options. Nothing throws into the caller, nothing
// hangs, nothing grows without bound, and every loss is counted.
import { diag } from '@opentelemetry/api';
import { AggregationType, ErrorCode, FastMeterProvider } from '@fastmeter/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterWorker, attachClusterMetrics } from '../src/index.js';
import { FakeCluster, TestReader, points, primary, settle, workerProvider } from './loopback.js';

afterEach(() => {
  vi.restoreAllMocks();
});

async function flushAll(...workers: { clusterWorker: { forceFlush(o?: { timeoutMillis?: number }): Promise<void> } }[]) {
  await settle();
  await Promise.all(workers.map(w => w.clusterWorker.forceFlush({ timeoutMillis: 2000 })));
  await settle();
}

describe('a channel that does not drain (the primary is not reading)', () => {
  it('coalesces collections (nothing lost), drops only new series past maxQueueBytes, and counts them at the primary', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const views = [{ instrumentName: 'c', aggregationCardinalityLimit: 10_000 }];
    const { fake, reader, hub } = primary({}, { views });
    const worker = fake.fork();
    const w = workerProvider(worker, { maxQueueBytes: 65_536 }, { views });
    const c = w.meter.createCounter('c');
    c.add(1, { k: 'known' });
    await flushAll(w);
    worker.blocked = true;
    // Syncs that do not complete (2,000 series, then their values as doubles, twice) hold more than
    // maxQueueBytes in the channel...
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2000; i++) c.add(0.5, { i });
      await w.clusterWorker.collect();
    }
    expect(w.clusterWorker.stats().dropped).toBe(0);
    expect(w.clusterWorker.stats().inFlightBytes).toBeGreaterThan(65_536);
    // ...so later collections coalesce: known series keep adding up, new ones are refused.
    for (let round = 0; round < 5; round++) {
      c.add(10, { k: 'known' });
      c.add(1, { k: `new-${round}` });
      await w.clusterWorker.collect();
    }
    const stats = w.clusterWorker.stats();
    expect(stats.coalesced).toBe(5);
    expect(stats.dropped).toBe(5);
    expect(warn.mock.calls.some(([m]) => /maxQueueBytes/.test(m))).toBe(true);
    worker.unblock();
    await flushAll(w);
    const exported = await points(reader, 'c');
    expect(exported.find(([a]) => a.k === 'known')?.[1]).toBe(51);
    expect(exported.filter(([a]) => a.i !== undefined).map(([, v]) => v)).toEqual(new Array(2000).fill(1.5));
    expect(exported.length).toBe(2001);
    expect(hub.stats().dropped.queue_full).toBe(5);
  });

  it('holds data until the primary answers, and forceFlush waits for it (bounded)', async () => {
    const fake = new FakeCluster();
    const worker = fake.fork();
    const w = workerProvider(worker);
    w.meter.createCounter('early').add(4);
    await w.clusterWorker.collect();
    expect(w.clusterWorker.stats()).toMatchObject({ welcomed: false, seq: 0 });
    // Nobody answers: forceFlush gives up after its timeout.
    const t0 = performance.now();
    await w.clusterWorker.forceFlush({ timeoutMillis: 150 });
    expect(performance.now() - t0).toBeLessThan(1000);
    // The primary attaches late: the next hello is answered, and what was held arrives.
    const reader = new TestReader();
    const provider = new FastMeterProvider({ readers: [reader] });
    attachClusterMetrics(provider, { cluster: fake as never });
    (w.clusterWorker as unknown as { _hello(): void })._hello();
    await flushAll(w);
    expect(await points(reader, 'early')).toEqual([[{}, 4]]);
  });
});

describe('the primary', () => {
  it('restarted (close, attach again): the worker starts a new session, defines its series again, later data is exact', async () => {
    const { fake, reader, provider, hub } = primary();
    const w = workerProvider(fake.fork());
    const c = w.meter.createCounter('c');
    c.add(1, { k: 'a' });
    await flushAll(w);
    hub.close();
    const again = attachClusterMetrics(provider, { cluster: fake as never });
    c.add(2, { k: 'a' }); // in the sync the new primary does not know: lost, counted
    await flushAll(w);
    c.add(4, { k: 'a' });
    await flushAll(w);
    expect(again.stats().dropped.malformed).toBe(1);
    expect(await points(reader, 'c')).toEqual([[{ k: 'a' }, 5]]);
    expect(again.stats().workers.length).toBe(1);
  });

  it('a malformed sync is counted and dropped, the session starts over, and nothing throws into node:cluster', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const { fake, reader, hub } = primary();
    const worker = fake.fork();
    const w = workerProvider(worker);
    const c = w.meter.createCounter('c');
    c.add(1);
    await flushAll(w);
    const session = hub.stats().workers[0].session;
    for (const data of [Buffer.from([1, 2, 3]).toString('base64'), 'not base64 at all!', 42, null]) {
      expect(() => fake.emit('message', worker, { type: 'fastmeter:cluster', v: 1, op: 'sync', session, seq: 99, flush: 0, data })).not.toThrow();
    }
    expect(hub.stats().dropped.malformed).toBeGreaterThanOrEqual(4);
    expect(warn).toHaveBeenCalled();
    await settle();
    c.add(2);
    await flushAll(w);
    expect(await points(reader, 'c')).toEqual([[{}, 3]]);
    // Messages of other shapes and versions are ignored.
    fake.emit('message', worker, { type: 'fastmeter:cluster', v: 99, op: 'sync', session });
    fake.emit('message', worker, 'hello');
    fake.emit('message', worker, { cmd: 'app' });
  });

  it('flush() asks every worker; one that does not answer costs the timeout, not a hang, and its late answer still counts', async () => {
    const { fake, reader, hub } = primary({ freshOnCollect: true, flushTimeoutMs: 200 });
    const [wa, wb] = [fake.fork(), fake.fork()];
    const a = workerProvider(wa);
    const b = workerProvider(wb);
    await flushAll(a, b);
    a.meter.createCounter('c').add(1);
    b.meter.createCounter('c').add(2);
    expect(await hub.flush()).toEqual({ asked: 2, answered: 2 });
    expect(await points(reader, 'c')).toEqual([[{}, 3]]);
    wb.paused = true;
    b.meter.createCounter('c').add(10);
    const t0 = performance.now();
    expect(await points(reader, 'c')).toEqual([[{}, 3]]);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(2000);
    expect(hub.stats().flushTimeouts).toBe(1);
    wb.resume();
    await settle(20);
    expect(await points(reader, 'c')).toEqual([[{}, 13]]);
  });

  it('concurrent collections share one flush round', async () => {
    const { fake, reader, hub } = primary({ freshOnCollect: true });
    const w = workerProvider(fake.fork());
    await flushAll(w);
    await Promise.all([reader.collect(), reader.collect(), hub.flush()]);
    expect(hub.stats().flushes).toBe(1);
  });

  it('bounds what one worker may define (maxSeriesPerWorker, maxInstrumentsPerWorker) and counts the rest', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const { fake, reader, hub } = primary({ maxSeriesPerWorker: 3, maxInstrumentsPerWorker: 1 });
    const w = workerProvider(fake.fork());
    const c = w.meter.createCounter('c');
    for (let i = 0; i < 5; i++) c.add(1, { i });
    w.meter.createCounter('other').add(1);
    await flushAll(w);
    expect((await points(reader, 'c')).length).toBe(3);
    expect(await points(reader, 'other')).toEqual([]);
    expect(hub.stats().dropped.series_limit).toBe(3);
    expect(warn.mock.calls.some(([m]) => /maxSeriesPerWorker/.test(m))).toBe(true);
    expect(warn.mock.calls.some(([m]) => /maxInstrumentsPerWorker/.test(m))).toBe(true);
  });

  it('shutdown of a worker reader says bye: the primary stops waiting for it', async () => {
    const { fake, hub } = primary({ freshOnCollect: true, flushTimeoutMs: 5000 });
    const w = workerProvider(fake.fork());
    await flushAll(w);
    expect(hub.stats().workers.length).toBe(1);
    await w.provider.shutdown();
    await settle();
    expect(hub.stats().workers).toEqual([]);
    const t0 = performance.now();
    expect(await hub.flush()).toEqual({ asked: 0, answered: 0 });
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('exports fastmeter.cluster.* when selfMetrics is on', async () => {
    const { fake, reader } = primary({ selfMetrics: true });
    const w = workerProvider(fake.fork());
    w.meter.createCounter('c').add(1, { a: 'b' });
    await flushAll(w);
    const { resourceMetrics } = await reader.collect();
    const self = resourceMetrics.scopeMetrics.find(s => s.scope.name === 'fastmeter');
    const byName = new Map(self?.metrics.map(m => [m.descriptor.name, m.dataPoints]));
    expect(byName.get('fastmeter.cluster.workers')?.[0].value).toBe(1);
    expect(byName.get('fastmeter.cluster.series')?.[0].value).toBe(1);
    expect(byName.get('fastmeter.cluster.syncs')?.[0].value).toBeGreaterThanOrEqual(1);
    expect(byName.get('fastmeter.cluster.bytes')?.[0].value).toBeGreaterThan(10);
    expect(
      byName
        .get('fastmeter.cluster.dropped')
        ?.map(p => p.attributes.reason)
        .sort(),
    ).toEqual(['instrument_limit', 'malformed', 'queue_full', 'refused', 'series_limit', 'unsupported'].sort());
    expect(byName.get('fastmeter.cluster.sync.age')?.[0].value).toBeLessThan(5);
    expect(byName.has('fastmeter.cluster.flush.timeouts')).toBe(true);
    expect(byName.has('fastmeter.cluster.workers.exited')).toBe(true);
  });
});

describe('worker-side limits', () => {
  it('past maxSeries, new attribute sets go to the overflow series: totals stay exact', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const { fake, reader } = primary();
    const w = workerProvider(fake.fork(), { maxSeries: 3 });
    const c = w.meter.createCounter('c');
    for (let i = 0; i < 10; i++) c.add(i, { i });
    await flushAll(w);
    const exported = await points(reader, 'c');
    expect(exported.length).toBe(4);
    expect(exported.reduce((n, [, v]) => n + v, 0)).toBe(45);
    expect(exported.find(([a]) => a['otel.metric.overflow'] === true)?.[1]).toBe(3 + 4 + 5 + 6 + 7 + 8 + 9);
    expect(w.clusterWorker.stats().overflowed).toBe(7);
    expect(warn.mock.calls.some(([m]) => /maxSeries/.test(m))).toBe(true);
  });

  it('past maxInstruments, and for exponential histograms (not mergeable), data stays in the worker, counted', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const { fake, reader, hub } = primary();
    const w = workerProvider(
      fake.fork(),
      { maxInstruments: 2 },
      { views: [{ instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }] },
    );
    w.meter.createCounter('one').add(1);
    w.meter.createHistogram('exp').record(3);
    w.meter.createCounter('two').add(1);
    w.meter.createCounter('three').add(1, { x: 1 });
    await flushAll(w);
    expect(await points(reader, 'one')).toEqual([[{}, 1]]);
    expect(await points(reader, 'two')).toEqual([[{}, 1]]);
    expect(await points(reader, 'three')).toEqual([]);
    expect(await points(reader, 'exp')).toEqual([]);
    expect(hub.stats().dropped).toMatchObject({ unsupported: 1, instrument_limit: 1 });
  });

  it('outside a cluster worker, ClusterWorker warns once and sends nothing; collect() still returns the data', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const reader = new ClusterWorker({ channel: null });
    const provider = new FastMeterProvider({ readers: [reader] });
    provider.getMeter('m').createCounter('c').add(3);
    const { resourceMetrics } = await reader.collect();
    expect(resourceMetrics.scopeMetrics[0].metrics[0].dataPoints[0].value).toBe(3);
    expect(warn.mock.calls.filter(([m]) => /not running in a node:cluster worker/.test(m)).length).toBe(1);
    await provider.shutdown();
    expect(reader.stats().connected).toBe(false);
  });
});

describe('options', () => {
  it('reject bad values with FastMeterConfigError (FM_INVALID_OPTION)', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => new ClusterWorker({ intervalMs: 0 }), /intervalMs must be an integer from 10/],
      [() => new ClusterWorker({ intervalMs: 1.5 }), /intervalMs/],
      [() => new ClusterWorker({ maxQueueBytes: 10 }), /maxQueueBytes/],
      [() => new ClusterWorker({ maxSeries: -1 }), /maxSeries/],
      [() => new ClusterWorker({ onSync: 'x' as never }), /onSync must be a function/],
      [() => attachClusterMetrics({} as never), /needs a FastMeterProvider/],
      [() => attachClusterMetrics(new FastMeterProvider(), { workerAttribute: 'tid' as never, cluster: new FakeCluster() as never }), /workerAttribute/],
      [
        () => attachClusterMetrics(new FastMeterProvider(), { workerAttributeKey: '', workerAttribute: 'pid', cluster: new FakeCluster() as never }),
        /workerAttributeKey/,
      ],
      [() => attachClusterMetrics(new FastMeterProvider(), { flushTimeoutMs: 0, cluster: new FakeCluster() as never }), /flushTimeoutMs/],
      [() => attachClusterMetrics(new FastMeterProvider(), { freshOnCollect: 'yes' as never, cluster: new FakeCluster() as never }), /freshOnCollect/],
    ];
    for (const [fn, message] of bad) {
      let error: any;
      try {
        fn();
      } catch (err) {
        error = err;
      }
      expect(error?.code, String(message)).toBe(ErrorCode.INVALID_OPTION);
      expect(error.message).toMatch(message);
    }
  });

  it('a ClusterWorker belongs to one provider', () => {
    const reader = new ClusterWorker({ channel: null });
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    new FastMeterProvider({ readers: [reader] });
    expect(() => new FastMeterProvider({ readers: [reader] })).toThrow(/one MeterProvider/);
  });
});
