// Workers join and leave at any time (normal exit, terminate(), provider
// shutdown), the main provider shuts down while workers record, per-thread
// attributes, views on the main side: totals stay exact, lanes are reused,
// nothing throws.
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { AggregationTemporality, AggregationType, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { attachWorkerMetrics } from '@fastmeter/workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Point, TestReader, TestWorker, assertWellFormed, ensureBuilt, points, setup, startWorkers, stopAll, total } from './helpers.js';

beforeAll(ensureBuilt);

const M = 5_000;
const ops = (own: Record<string, unknown>) => [
  { kind: 'counter', name: 'jobs', int: true, values: [1], attrs: [{ pool: 'p' }, own], repeat: 2 * M },
  { kind: 'histogram', name: 'job.ms', values: [12.5], attrs: [{ pool: 'p' }], repeat: M },
];
const find = (list: Point[] | undefined, attrs: Record<string, unknown>) =>
  list?.find(p => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v) && Object.keys(p.attributes).length === Object.keys(attrs).length)?.value;

describe('workers joining and leaving', () => {
  const all: TestWorker[] = [];
  afterAll(() => stopAll(all));

  it('keeps totals exact while 12 workers come and go through 4 lanes, leaving every way there is', async () => {
    const { reader, workers: hub } = setup({ maxThreads: 4 });
    let collecting = true;
    const collector = (async () => {
      while (collecting) {
        assertWellFormed(await points(reader));
        await new Promise(r => setTimeout(r, 3));
      }
    })();
    const leave = async (w: TestWorker, i: number) => {
      if (i % 3 === 0) {
        await w.run('exit'); // normal exit: the worker's provider releases its lane (not tracked)
        await w.exited;
      } else if (i % 3 === 1) {
        await w.worker.terminate(); // tracked: the main side drains the lane on 'exit'
      } else {
        await w.run('shutdown'); // the provider gives its lane back; the thread lives on
      }
    };
    const lanes: number[] = [];
    const run = async (i: number) => {
      const w = new TestWorker(hub.handle);
      all.push(w);
      if (i % 3 === 1) hub.track(w.worker);
      const { lane } = await w.ready;
      expect(lane).toBeGreaterThanOrEqual(0);
      lanes.push(lane);
      await w.run('record', { ops: ops({ worker: i }) });
      await leave(w, i);
    };
    // Three at a time: a new worker starts whenever one has left.
    let next = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (next < 12) await run(next++);
      }),
    );
    collecting = false;
    await collector;
    const got = await points(reader);
    assertWellFormed(got);
    expect(find(got.jobs, { pool: 'p' })).toBe(12 * M);
    for (let i = 0; i < 12; i++) expect(find(got.jobs, { worker: i })).toBe(M);
    expect(find(got['job.ms'], { pool: 'p' })).toMatchObject({ count: 12 * M, sum: 12 * M * 12.5, min: 12.5, max: 12.5 });
    expect(new Set(lanes).size).toBeLessThanOrEqual(4);
    expect(hub.stats()).toMatchObject({ joins: 12, drained: 12, lanes: { active: 0, released: 0 }, partialWrites: 0 });
  });
});

describe('main provider shutdown while workers record', () => {
  const all: TestWorker[] = [];
  afterAll(() => stopAll(all));

  it('exports what was pulled, including a last pull; workers keep recording without a throw', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const provider = new FastMeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })] });
    const hub = attachWorkerMetrics(provider);
    const workers = await startWorkers(hub, 2);
    all.push(...workers);
    const running = Promise.all(workers.map(w => w.run<number>('recordFor', { ms: 600 })));
    await new Promise(r => setTimeout(r, 150));
    await provider.forceFlush();
    await new Promise(r => setTimeout(r, 150));
    await provider.shutdown();
    const exported = exporter.getMetrics();
    const count = (i: number) => {
      const metric = exported[i].scopeMetrics[0].metrics.find(m => m.descriptor.name === 'busy.count');
      return (metric?.dataPoints[0].value as number) ?? 0;
    };
    expect(exported.length).toBe(2);
    expect(count(0)).toBeGreaterThan(0);
    expect(count(1)).toBeGreaterThan(count(0)); // shutdown's flush pulled again
    const rounds = await running; // recording went on after the shutdown, harmlessly
    expect(rounds[0] + rounds[1]).toBeGreaterThan(count(1));
    hub.collect(); // pulling into a shut-down provider does nothing harmful
    await workers[0].run('record', { ops: [{ kind: 'gauge', name: 'late', values: [1], attrs: [null], repeat: 3 }] });
    hub.close();
    hub.close();
    expect(await workers[1].run('dropped')).toBe(0);
  });
});

describe('per-thread attribute', () => {
  const all: TestWorker[] = [];
  afterAll(() => stopAll(all));

  it('gives each thread its own series when threadAttribute is set', async () => {
    const { reader, workers: hub } = setup({ threadAttribute: 'thread.id' });
    const workers = await startWorkers(hub, 2);
    all.push(...workers);
    const ids = await Promise.all(workers.map(w => w.ready.then(r => r.threadId)));
    await Promise.all(workers.map(w => w.run('record', { ops: ops({ own: true }) })));
    for (const [i, w] of workers.entries()) await w.run('gauge', { name: 'g', value: 10 + i, attrs: { k: 'v' } });
    await workers[0].worker.terminate();
    const got = await points(reader);
    for (const [i, id] of ids.entries()) {
      expect(find(got.jobs, { pool: 'p', 'thread.id': id })).toBe(M);
      expect(find(got['job.ms'], { pool: 'p', 'thread.id': id })).toMatchObject({ count: M });
      expect(find(got.g, { k: 'v', 'thread.id': id })).toBe(10 + i);
    }
    expect(find(got.jobs, { pool: 'p' })).toBeUndefined();
  });
});

describe('the main side', () => {
  const all: TestWorker[] = [];
  afterAll(() => stopAll(all));

  it("adds the workers' series to its own measurements of the same instrument", async () => {
    const { reader, provider, workers: hub } = setup();
    const [worker] = await startWorkers(hub, 1);
    all.push(worker);
    provider.getMeter('test').createCounter('jobs', { valueType: 0 }).add(7, { pool: 'p' });
    await worker.run('record', { ops: ops({ w: 1 }) });
    const got = await points(reader);
    expect(find(got.jobs, { pool: 'p' })).toBe(M + 7);
  });

  it('warns and counts when a view gives a worker histogram other buckets, and never throws', async () => {
    const warnings: string[] = [];
    diag.setLogger({ warn: (m: string) => warnings.push(m), error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    try {
      const reader = new TestReader();
      const { workers: hub } = setup(
        {},
        {
          readers: [reader],
          views: [{ instrumentName: 'job.ms', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 2] } } }],
        },
      );
      const [worker] = await startWorkers(hub, 1);
      all.push(worker);
      await worker.run('record', { ops: ops({ w: 1 }) });
      const got = await points(reader);
      expect(total(got.jobs)).toBe(2 * M);
      expect(total(got['job.ms'])).toBe(0); // the bound series exists, nothing was merged into it
      expect(hub.stats().refused).toBeGreaterThan(0);
      expect(warnings.some(w => w.includes('job.ms') && w.includes('boundaries'))).toBe(true);
    } finally {
      diag.disable();
    }
  });
});
