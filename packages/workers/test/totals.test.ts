// N workers × M records through the standard API in every worker; the main
// provider's readers must export exact totals (counts, sums, buckets), INT and
// DOUBLE, also when collections run while the workers record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Point, type TestWorker, assertWellFormed, deltaReader, ensureBuilt, points, setup, startWorkers, stopAll, TestReader } from './helpers.js';

beforeAll(ensureBuilt);

const N = 4;
const M = 20_000;
const SETS = [{ route: '/a', method: 'GET' }, { route: '/b', method: 'GET' }, { method: 'POST', route: '/a' }, { route: '/c', ok: true }, null];
const OPS = [
  { kind: 'counter', name: 'c.int', int: true, values: [1, 2, 3] },
  { kind: 'counter', name: 'c.double', values: [0.25, 1.5, 2.75] },
  { kind: 'updown', name: 'u.int', int: true, values: [3, -1] },
  { kind: 'updown', name: 'u.double', values: [0.5, -0.25, -0.125] },
  { kind: 'histogram', name: 'h.int', int: true, boundaries: [1, 10, 100], values: [0, 1, 5, 50, 500, 7] },
  { kind: 'histogram', name: 'h.double', values: [0.5, 7.25, 99.75, 12000] },
  // One constant value per attribute set: a torn snapshot would break sum = count × value.
  { kind: 'histogram', name: 'h.const', values: [1.5, 3.25, 7, 42.5, 1000.125] },
].map(op => ({ ...op, attrs: SETS, repeat: M }));

const DEFAULT_BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const key = (a: object | null) => JSON.stringify(Object.fromEntries(Object.entries(a ?? {}).sort(([x], [y]) => (x < y ? -1 : 1))));

/** What one worker records, replayed here: attribute key -> sum, or histogram {count, sum, min, max, counts}. */
function expected(op: (typeof OPS)[number]): Map<string, any> {
  const out = new Map<string, any>();
  const bounds = op.boundaries ?? DEFAULT_BOUNDS;
  for (let i = 0; i < op.repeat; i++) {
    const k = key(op.attrs[i % op.attrs.length]);
    const v = op.values[i % op.values.length];
    if (op.kind !== 'histogram') {
      out.set(k, (out.get(k) ?? 0) + v * N);
      continue;
    }
    const h = out.get(k) ?? { count: 0, sum: 0, min: v, max: v, counts: new Array(bounds.length + 1).fill(0) };
    h.count += N;
    h.sum += v * N;
    h.min = Math.min(h.min, v);
    h.max = Math.max(h.max, v);
    const b = bounds.findIndex(x => v <= x);
    h.counts[b === -1 ? bounds.length : b] += N;
    out.set(k, h);
  }
  return out;
}

function byKey(list: Point[] | undefined): Map<string, any> {
  return new Map((list ?? []).map(p => [key(p.attributes), p.value]));
}

function addDelta(acc: Map<string, any>, list: Point[] | undefined): void {
  for (const p of list ?? []) {
    const k = key(p.attributes);
    if (typeof p.value === 'number') {
      acc.set(k, (acc.get(k) ?? 0) + p.value);
      continue;
    }
    const h = acc.get(k) ?? { count: 0, sum: 0, min: p.value.min, max: p.value.max, counts: p.value.buckets.counts.map(() => 0) };
    h.count += p.value.count;
    h.sum += p.value.sum;
    h.min = Math.min(h.min, p.value.min);
    h.max = Math.max(h.max, p.value.max);
    p.value.buckets.counts.forEach((c: number, i: number) => {
      h.counts[i] += c;
    });
    acc.set(k, h);
  }
}

function assertConstHistogram(list: Point[] | undefined): void {
  const values = new Map(SETS.map((s, i) => [key(s), OPS[6].values[i]]));
  for (const p of list ?? []) {
    const v = values.get(key(p.attributes)) as number;
    expect(p.value.sum).toBe(p.value.count * v);
    expect([p.value.min, p.value.max]).toEqual([v, v]);
  }
}

describe('N workers × M records', () => {
  let workers: TestWorker[] = [];
  afterAll(() => stopAll(workers));

  it('export exact totals through cumulative and delta readers, with collections during recording', async () => {
    const cumulative = new TestReader();
    const delta = deltaReader();
    const { workers: hub } = setup({}, { readers: [cumulative, delta] });
    workers = await startWorkers(hub, N);
    const running = Promise.all(workers.map(w => w.run('record', { ops: OPS })));
    let done = false;
    running.then(() => (done = true));
    const deltas = new Map<string, Map<string, any>>();
    const collectDelta = async () => {
      const all = await points(delta);
      assertWellFormed(all);
      assertConstHistogram(all['h.const']);
      for (const op of OPS) addDelta((deltas.has(op.name) ? deltas : deltas.set(op.name, new Map())).get(op.name) as Map<string, any>, all[op.name]);
    };
    let collections = 0;
    while (!done) {
      const all = await points(cumulative);
      assertWellFormed(all);
      assertConstHistogram(all['h.const']);
      await collectDelta();
      collections++;
      await new Promise(r => setTimeout(r, 5));
    }
    await running;
    const final = await points(cumulative);
    await collectDelta();
    assertWellFormed(final);
    expect(collections).toBeGreaterThan(0);
    for (const op of OPS) {
      const want = expected(op);
      const got = byKey(final[op.name]);
      const summed = deltas.get(op.name) as Map<string, any>;
      expect([...got.keys()].sort(), op.name).toEqual([...want.keys()].sort());
      for (const [k, w] of want) {
        if (op.kind !== 'histogram') {
          expect(got.get(k), `${op.name} ${k}`).toBe(w);
          expect(summed.get(k), `${op.name} ${k} (delta)`).toBe(w);
          continue;
        }
        const g = got.get(k);
        expect({ count: g.count, sum: g.sum, min: g.min, max: g.max, counts: g.buckets.counts }, `${op.name} ${k}`).toEqual(w);
        expect(summed.get(k), `${op.name} ${k} (delta)`).toEqual(w);
      }
    }
    expect(hub.stats()).toMatchObject({ instruments: OPS.length, series: OPS.length * SETS.length, overflowed: 0, busy: 0, partialWrites: 0 });
  });
});

describe('gauges', () => {
  let workers: TestWorker[] = [];
  afterAll(() => stopAll(workers));

  it('export the value of the write with the highest sequence number, across threads', async () => {
    const { reader, workers: hub } = setup();
    workers = await startWorkers(hub, 2);
    const [a, b] = workers;
    const value = async () => (await points(reader)).temperature?.map(p => [p.attributes, p.value]);
    await a.run('gauge', { name: 'temperature', value: 1, attrs: { room: 'x' } });
    await b.run('gauge', { name: 'temperature', value: 2, attrs: { room: 'x' } });
    expect(await value()).toEqual([[{ room: 'x' }, 2]]);
    await a.run('gauge', { name: 'temperature', value: 3, attrs: { room: 'x' } });
    expect(await value()).toEqual([[{ room: 'x' }, 3]]);
    expect(await value()).toEqual([[{ room: 'x' }, 3]]);
    await b.run('gauge', { name: 'temperature', value: 4, attrs: { room: 'x' } });
    await a.run('gauge', { name: 'temperature', value: 5, attrs: { room: 'x' } });
    await b.run('gauge', { name: 'temperature', value: -6.5, attrs: { room: 'y' } });
    expect(await value()).toEqual([
      [{ room: 'x' }, 5],
      [{ room: 'y' }, -6.5],
    ]);
  });
});

describe('one hot series under back-to-back collections', () => {
  let workers: TestWorker[] = [];
  afterAll(() => stopAll(workers));

  it('never exports a torn histogram and ends exact', async () => {
    const { reader, workers: hub } = setup();
    workers = await startWorkers(hub, 3);
    const progress = new SharedArrayBuffer(4 * 8);
    const max = 150_000;
    const running = Promise.all(
      workers.map((w, i) => w.run<number>('hammer', { progress, slot: i + 1, max, value: 2.5, shared: { hot: 'yes' }, own: { worker: i } })),
    );
    let done = false;
    running.then(() => (done = true));
    let collections = 0;
    while (!done) {
      const all = await points(reader);
      assertWellFormed(all);
      for (const p of all['hammer.value'] ?? []) {
        expect(p.value.sum).toBe(p.value.count * 2.5);
        expect([p.value.min, p.value.max]).toEqual([2.5, 2.5]);
      }
      collections++;
      await new Promise(r => setImmediate(r)); // let the workers' replies in
    }
    expect(await running).toEqual([max, max, max]);
    const all = await points(reader);
    const hot = (name: string) => all[name].find(p => p.attributes.hot === 'yes')?.value;
    expect(hot('hammer.count')).toBe(3 * max);
    expect(hot('hammer.value')).toMatchObject({ count: 3 * max, sum: 3 * max * 2.5, min: 2.5, max: 2.5 });
    expect(all['hammer.last'].map(p => p.value)).toEqual([2.5, 2.5, 2.5]);
    expect(collections).toBeGreaterThan(3);
  });
});
