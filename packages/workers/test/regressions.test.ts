// Defects found by an outside review (issue 9, items 9-12), each compared with what the main
// thread alone exports for the same calls: the same `record` ops run in a worker and on a plain
// FastMeterProvider.
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Point, type TestWorker, TestReader, ensureBuilt, points, setup, startWorkers, stopAll } from './helpers.js';

beforeAll(ensureBuilt);

const all: TestWorker[] = [];
afterAll(() => stopAll(all));

interface Op {
  kind: 'counter' | 'updown' | 'histogram' | 'gauge';
  name: string;
  values: number[];
  attrs: (Record<string, unknown> | null)[];
  repeat: number;
  boundaries?: number[];
}

/** What the main thread alone exports for `ops` (the same loop as the worker scenario). */
async function mainThread(ops: Op[]): Promise<Record<string, Point[]>> {
  const reader = new TestReader();
  const provider = new FastMeterProvider({ readers: [reader] });
  const meter = provider.getMeter('test');
  for (const op of ops) {
    const options = op.boundaries ? { advice: { explicitBucketBoundaries: op.boundaries } } : {};
    const instrument =
      op.kind === 'counter'
        ? meter.createCounter(op.name, options)
        : op.kind === 'updown'
          ? meter.createUpDownCounter(op.name, options)
          : op.kind === 'histogram'
            ? meter.createHistogram(op.name, options)
            : meter.createGauge(op.name, options);
    const rec = 'add' in instrument ? (v: number, a?: object) => instrument.add(v, a as never) : (v: number, a?: object) => instrument.record(v, a as never);
    for (let i = 0; i < op.repeat; i++) {
      const a = op.attrs[i % op.attrs.length];
      rec(op.values[i % op.values.length]!, a === null ? undefined : { ...a });
    }
  }
  const out = await points(reader);
  await provider.shutdown();
  return out;
}

/** What a worker's measurements export through the main side, for the same `ops`. */
async function inWorker(ops: Op[], options = {}): Promise<Record<string, Point[]>> {
  const { reader, workers } = setup(options);
  const [worker] = await startWorkers(workers, 1);
  all.push(worker!);
  await worker!.run('record', { ops });
  return points(reader);
}

function captureWarnings(): { warnings: string[]; restore: () => void } {
  const warnings: string[] = [];
  diag.setLogger({ warn: (m: string) => warnings.push(m), error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  return { warnings, restore: () => diag.disable() };
}

afterEach(() => diag.disable());

describe('a series whose value is 0 when first read (issue 9, item 9)', () => {
  const ops: Op[] = [
    { kind: 'updown', name: 'jobs.in_flight', values: [1, -1], attrs: [{ 'job.type': 'resize' }], repeat: 2 },
    { kind: 'counter', name: 'jobs.retried', values: [0], attrs: [{ 'job.type': 'resize' }, null], repeat: 2 },
  ];

  it('is exported from a worker as on the main thread (up-down counter back to 0, counter.add(0))', async () => {
    const expected = await mainThread(ops);
    expect(expected['jobs.in_flight']).toEqual([{ attributes: { 'job.type': 'resize' }, value: 0 }]);
    const got = await inWorker(ops);
    expect(got['jobs.in_flight']).toEqual(expected['jobs.in_flight']);
    expect(got['jobs.retried']).toEqual(expected['jobs.retried']);
  });

  it('is exported per thread with threadAttribute', async () => {
    const { reader, workers } = setup({ threadAttribute: 'thread.id' });
    const [a, b] = await startWorkers(workers, 2);
    all.push(a!, b!);
    const ids = [(await a!.ready).threadId, (await b!.ready).threadId].sort((x, y) => x - y);
    await a!.run('record', { ops });
    await b!.run('record', { ops });
    const got = await points(reader);
    expect(got['jobs.in_flight']).toEqual(ids.map(id => ({ attributes: { 'job.type': 'resize', 'thread.id': id }, value: 0 })));
    expect(got['jobs.retried']).toHaveLength(4);
  });

  it('is not invented for an attribute set a thread never used, nor for an unused overflow series', async () => {
    const got = await inWorker([{ kind: 'counter', name: 'only.once', values: [0], attrs: [{ k: 'a' }], repeat: 1 }], { cardinalityLimit: 5 });
    expect(got['only.once']).toEqual([{ attributes: { k: 'a' }, value: 0 }]);
  });
});

describe('a worker sum that overflows to Infinity (issue 9, item 10)', () => {
  it('exports what the main thread exports for add(1e308) twice: Infinity, and then stops moving', async () => {
    const ops: Op[] = [{ kind: 'counter', name: 'huge', values: [1e308], attrs: [{ k: 'v' }], repeat: 2 }];
    const expected = await mainThread(ops);
    expect(expected.huge).toEqual([{ attributes: { k: 'v' }, value: Number.POSITIVE_INFINITY }]);
    const { reader, workers } = setup();
    const [worker] = await startWorkers(workers, 1);
    all.push(worker!);
    await worker!.run('record', { ops });
    expect((await points(reader)).huge).toEqual(expected.huge);
    await worker!.run('record', { ops: [{ ...ops[0], values: [1] }] });
    expect((await points(reader)).huge).toEqual(expected.huge);
  });

  it('exports -Infinity for an up-down counter that overflows downwards, as the main thread', async () => {
    const ops: Op[] = [{ kind: 'updown', name: 'deep', values: [-1e308, -1e308, 5], attrs: [null], repeat: 3 }];
    const expected = await mainThread(ops);
    expect(expected.deep?.[0]?.value).toBe(Number.NEGATIVE_INFINITY);
    expect((await inWorker(ops)).deep).toEqual(expected.deep);
  });

  it('exports a histogram whose sum overflows within one interval as the main thread does (sum Infinity, values finite)', async () => {
    const ops: Op[] = [{ kind: 'histogram', name: 'big.values', values: [1e308], attrs: [null], repeat: 2 }];
    const expected = await mainThread(ops);
    expect(expected['big.values']?.[0]?.value).toMatchObject({ count: 2, sum: Number.POSITIVE_INFINITY, min: 1e308, max: 1e308 });
    expect((await inWorker(ops))['big.values']).toEqual(expected['big.values']);
  });

  it('keeps a large finite total exact when the difference between two reads overflows', async () => {
    // First read: -1e308. Second read: +1e308 (the thread added 2e308 in steps): the difference is not finite, the total is.
    const { reader, workers } = setup();
    const [worker] = await startWorkers(workers, 1);
    all.push(worker!);
    await worker!.run('record', { ops: [{ kind: 'updown', name: 'swing', values: [-1e308], attrs: [null], repeat: 1 }] });
    expect((await points(reader)).swing).toEqual([{ attributes: {}, value: -1e308 }]);
    await worker!.run('record', { ops: [{ kind: 'updown', name: 'swing', values: [1e308], attrs: [null], repeat: 2 }] });
    expect((await points(reader)).swing).toEqual([{ attributes: {}, value: 1e308 }]);
  });
});

describe('a worker histogram whose advice differs from the main thread registration (issue 9, item 11)', () => {
  it('counts every refused measurement and says why in the warning', async () => {
    const { warnings, restore } = captureWarnings();
    try {
      const { provider, reader, workers } = setup();
      const main = provider.getMeter('test').createHistogram('adv.ms'); // default boundaries, registered first
      main.record(7, { k: 'main' });
      const [worker] = await startWorkers(workers, 1);
      all.push(worker!);
      await worker!.run('record', {
        ops: [{ kind: 'histogram', name: 'adv.ms', values: [0.5, 1.5, 2.5], attrs: [{ k: 'w' }], repeat: 5, boundaries: [1, 2, 3] }],
      });
      const got = await points(reader);
      // The main thread's own measurement is exported; the worker's cannot be re-bucketed exactly.
      expect(got['adv.ms']?.find(p => p.attributes.k === 'main')?.value.count).toBe(1);
      expect(workers.stats().refused).toBe(5);
      const warning = warnings.find(w => w.includes('adv.ms') && w.includes('refused'));
      expect(warning, warnings.join('\n')).toBeDefined();
      expect(warning).toContain('[1, 2, 3]');
      expect(warning).toContain('advice');
    } finally {
      restore();
    }
  });

  it('records into the first registration when the worker registered first, as the main thread does', async () => {
    const { provider, reader, workers } = setup();
    const [worker] = await startWorkers(workers, 1);
    all.push(worker!);
    await worker!.run('record', { ops: [{ kind: 'histogram', name: 'first.ms', values: [1.5], attrs: [null], repeat: 2, boundaries: [1, 2, 3] }] });
    await points(reader); // the main side learns the worker's registration
    provider.getMeter('test').createHistogram('first.ms').record(2.5); // a duplicate with other (default) advice
    const got = await points(reader);
    expect(got['first.ms']).toHaveLength(1);
    expect(got['first.ms']![0]!.value.buckets.boundaries).toEqual([1, 2, 3]);
    expect(got['first.ms']![0]!.value.count).toBe(3);
    expect(workers.stats().refused).toBe(0);
  });
});

describe("threadAttribute and a user's own attribute of that name (issue 9, item 12)", () => {
  it("keeps the user's value apart from the thread's, with a warning naming the key", async () => {
    const { warnings, restore } = captureWarnings();
    try {
      const { reader, workers } = setup({ threadAttribute: 'thread.id' });
      const [a, b] = await startWorkers(workers, 2);
      all.push(a!, b!);
      const ops: Op[] = [{ kind: 'counter', name: 'tagged', values: [1], attrs: [{ 'thread.id': 'custom' }, { other: 'x' }], repeat: 2 }];
      await a!.run('record', { ops });
      await b!.run('record', { ops });
      const got = await points(reader);
      const ids = [(await a!.ready).threadId, (await b!.ready).threadId];
      // The user's set keeps the user's value (it is their attribute), the other set gets the thread id.
      expect(got.tagged?.find(p => p.attributes['thread.id'] === 'custom')?.value).toBe(2);
      for (const id of ids) expect(got.tagged?.find(p => p.attributes['thread.id'] === id)).toEqual({ attributes: { other: 'x', 'thread.id': id }, value: 1 });
      expect(got.tagged).toHaveLength(3);
      expect(warnings.some(w => w.includes('tagged') && w.includes('"thread.id"'))).toBe(true);
    } finally {
      restore();
    }
  });
});
