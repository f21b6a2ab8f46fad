// Regression tests of issue 9 on the worker side: the same attribute rules as
// the main thread (own keys only, deterministic truncation past the attribute
// count limit) and one overflow series per stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestWorker, ensureBuilt, points, setup, startWorkers, stopAll } from './helpers.js';

beforeAll(ensureBuilt);

const workers: TestWorker[] = [];
afterAll(() => stopAll(workers));

async function oneWorker(hub: Parameters<typeof startWorkers>[0]): Promise<TestWorker> {
  const [w] = await startWorkers(hub, 1);
  workers.push(w);
  return w;
}

describe('workers: inherited attribute keys', () => {
  it('an object with an inherited key landed in another series in a worker, and a throwing inherited getter dropped it', async () => {
    const { reader, workers: hub } = setup();
    const w = await oneWorker(hub);
    const getterCalls = await w.run<number>('inheritedKeys', { repeat: 50 });
    expect(getterCalls).toBe(0);
    expect((await points(reader)).inherited).toEqual([
      { attributes: { k: 'v', j: 'w' }, value: 1 },
      { attributes: { k: 'v' }, value: 100 },
    ]);
  });
});

const OVERFLOW = { 'otel.metric.overflow': true };
const isOverflow = (p: { attributes: Record<string, unknown> }) => p.attributes['otel.metric.overflow'] !== undefined;

describe('workers: one overflow series per stream', () => {
  it('one worker adding to 2,100 distinct sets before the first collection exported two overflow points', async () => {
    const { reader, workers: hub } = setup();
    const w = await oneWorker(hub);
    const attrs = Array.from({ length: 2100 }, (_, i) => ({ i }));
    await w.run('record', { ops: [{ kind: 'counter', name: 'many', values: [1], attrs, repeat: attrs.length }] });
    const many = (await points(reader)).many;
    expect(many.filter(isOverflow)).toEqual([{ attributes: OVERFLOW, value: 101 }]);
    expect(many).toHaveLength(2000);
    expect(many.reduce((n, p) => n + p.value, 0)).toBe(2100);
  });

  it('a worker passing the overflow attributes itself made another overflow series', async () => {
    const { reader, workers: hub } = setup({ cardinalityLimit: 3 });
    const w = await oneWorker(hub);
    const attrs = [OVERFLOW, { a: 1 }, { a: 2 }, { a: 3 }];
    await w.run('record', { ops: [{ kind: 'counter', name: 'own', values: [1], attrs, repeat: 8 }] });
    expect((await points(reader)).own).toEqual([
      { attributes: { a: 1 }, value: 2 },
      { attributes: { a: 2 }, value: 2 },
      { attributes: OVERFLOW, value: 4 },
    ]);
  });

  it('worker overflow, main-thread overflow and the overflow attributes are one series', async () => {
    const { reader, provider, workers: hub } = setup({ cardinalityLimit: 2 }, { views: [{ instrumentName: 'mixed', aggregationCardinalityLimit: 3 }] });
    const w = await oneWorker(hub);
    const main = provider.getMeter('test').createCounter('mixed');
    main.add(1, { m: 1 });
    main.add(1, { m: 2 });
    main.add(1, { m: 3 }); // main-thread overflow
    main.add(1, OVERFLOW);
    await w.run('record', { ops: [{ kind: 'counter', name: 'mixed', values: [1], attrs: [{ w: 1 }, { w: 2 }, OVERFLOW], repeat: 3 }] });
    const mixed = (await points(reader)).mixed;
    expect(mixed.filter(isOverflow)).toEqual([{ attributes: OVERFLOW, value: 5 }]);
    expect(mixed.reduce((n, p) => n + p.value, 0)).toBe(7);
  });

  it('with threadAttribute, worker overflow went to per-thread sets next to the overflow series', async () => {
    const { reader, workers: hub } = setup({ cardinalityLimit: 2, threadAttribute: 'thread.id' });
    const list = await startWorkers(hub, 2);
    workers.push(...list);
    for (const w of list) await w.run('record', { ops: [{ kind: 'counter', name: 'per', values: [1], attrs: [{ a: 1 }, { a: 2 }], repeat: 2 }] });
    const per = (await points(reader)).per;
    expect(per.filter(isOverflow)).toEqual([{ attributes: OVERFLOW, value: 2 }]);
    expect(per.filter(p => !isOverflow(p))).toHaveLength(2);
  });
});

describe('workers: more than attributeCountLimit keys', () => {
  it('the same 130-key set from the main thread and from a worker (another key order) is one series with the smallest 128 keys', async () => {
    const { reader, provider, workers: hub } = setup();
    const w = await oneWorker(hub);
    const keys = Array.from({ length: 130 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    const entries = keys.map(k => [k, k]);
    provider.getMeter('test').createCounter('wide').add(1, Object.fromEntries(entries));
    await w.run('addEntries', { name: 'wide', repeat: 2, sets: [[...entries].reverse(), entries] });
    const wide = (await points(reader)).wide;
    expect(wide).toHaveLength(1);
    expect(Object.keys(wide[0].attributes).sort()).toEqual(keys.slice(0, 128));
    expect(wide[0].value).toBe(5);
  });
});
