// Shared memory is sized once: every bound (per-instrument cardinality limit,
// series, instruments, arena, threads) sends the excess to the overflow series
// { "otel.metric.overflow": true } or makes a no-op, and nothing throws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestWorker, ensureBuilt, points, setup, startWorkers, stopAll, total, TestReader } from './helpers.js';

beforeAll(ensureBuilt);

const sets = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}` }));
const overflow = (list: { attributes: Record<string, unknown>; value: any }[]) => list.find(p => p.attributes['otel.metric.overflow'] === true);

describe('capacity', () => {
  const all: TestWorker[] = [];
  afterAll(() => stopAll(all));

  it('bounds each instrument by the cardinality limit, overflow series included, losing nothing', async () => {
    const { reader, workers: hub } = setup({ cardinalityLimit: 10 });
    const workers = await startWorkers(hub, 3);
    all.push(...workers);
    const ops = [
      { kind: 'counter', name: 'limited', values: [1], attrs: sets(30), repeat: 30 },
      { kind: 'histogram', name: 'limited.h', values: [3], attrs: sets(30), repeat: 60 },
    ];
    await Promise.all(workers.map(w => w.run('record', { ops })));
    const got = await points(reader);
    expect(got.limited).toHaveLength(10);
    expect(got['limited.h']).toHaveLength(10);
    expect(total(got.limited)).toBe(90);
    expect(total(got['limited.h'])).toBe(180);
    for (const p of got.limited) if (p !== overflow(got.limited)) expect(p.value).toBe(3);
    expect(overflow(got.limited)?.value).toBe(90 - 9 * 3);
    expect(hub.stats().overflowed).toBeGreaterThan(0);
  });

  it('sends sets past the shared series capacity to the overflow series, also for instruments created later', async () => {
    const { reader, workers: hub } = setup({ maxSeries: 20 });
    const [worker] = await startWorkers(hub, 1);
    all.push(worker);
    await worker.run('record', {
      ops: [
        { kind: 'counter', name: 'a', values: [1], attrs: sets(30), repeat: 30 },
        { kind: 'histogram', name: 'b', values: [2], attrs: sets(3), repeat: 6 },
      ],
    });
    const got = await points(reader);
    expect(got.a).toHaveLength(21);
    expect(total(got.a)).toBe(30);
    expect(overflow(got.a)?.value).toBe(10);
    // Every set of 'b' found the series full: all in its overflow series, which was reserved.
    expect(got.b.map(p => [p.attributes, p.value.count, p.value.sum])).toEqual([[{ 'otel.metric.overflow': true }, 6, 12]]);
    expect(hub.stats()).toMatchObject({ series: 20, instruments: 2 });
  });

  it('sends sets that do not fit the arena to the overflow series', async () => {
    const { reader, workers: hub } = setup({ arenaBytes: 8192 });
    const [worker] = await startWorkers(hub, 1);
    all.push(worker);
    const big = (c: string) => ({ big: c.repeat(4000) });
    await worker.run('record', { ops: [{ kind: 'counter', name: 'b', values: [2], attrs: [big('x'), big('y'), { small: 1 }], repeat: 3 }] });
    const got = await points(reader);
    expect(total(got.b)).toBe(6);
    expect(got.b.find(p => p.attributes.small === 1)?.value).toBe(2);
    expect(overflow(got.b)?.value).toBe(2);
  });

  it("the main side's own limits (views) apply on top, as for its own measurements", async () => {
    const reader = new TestReader();
    const { workers: hub } = setup({}, { readers: [reader], views: [{ instrumentName: 'viewed', aggregationCardinalityLimit: 5 }] });
    const [worker] = await startWorkers(hub, 1);
    all.push(worker);
    await worker.run('record', { ops: [{ kind: 'counter', name: 'viewed', values: [1], attrs: sets(12), repeat: 24 }] });
    const got = await points(reader);
    expect(got.viewed).toHaveLength(5);
    expect(total(got.viewed)).toBe(24);
    expect(overflow(got.viewed)?.value).toBe(24 - 4 * 2);
  });

  it('gives a thread beyond maxThreads, and instruments beyond maxInstruments, no-ops that never throw', async () => {
    const { reader, workers: hub } = setup({ maxThreads: 2, maxInstruments: 2 });
    const workers = await startWorkers(hub, 3);
    all.push(...workers);
    const lanes = await Promise.all(workers.map(w => w.ready.then(r => r.lane)));
    expect(lanes.filter(l => l >= 0)).toHaveLength(2);
    expect(lanes.filter(l => l === -1)).toHaveLength(1);
    const ops = ['one', 'two', 'three'].map(name => ({ kind: 'counter', name, values: [1], attrs: [null], repeat: 5 }));
    for (const w of workers) await w.run('record', { ops });
    const got = await points(reader);
    expect(Object.keys(got).sort()).toEqual(['one', 'two']);
    expect(total(got.one)).toBe(10);
    expect(hub.stats()).toMatchObject({ noLane: 1, instruments: 2 });
    expect(hub.stats().noInstrument).toBeGreaterThan(0);
  });
});
