// Attribute sets and instruments are interned across threads: the same set
// created at the same moment by several workers, in any key order, is one
// series; the same instrument identity is one instrument.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestWorker, ensureBuilt, points, setup, startWorkers, stopAll } from './helpers.js';

beforeAll(ensureBuilt);

const N = 4;
const SETS = Array.from({ length: 400 }, (_, i) => ({
  'http.route': `/r/${i}`,
  method: i % 2 === 0 ? 'GET' : 'POST',
  code: 200 + (i % 5),
  ...(i % 3 === 0 ? { tags: ['a', String(i % 7)] } : {}),
  ...(i % 10 === 0 ? { cached: i % 20 === 0 } : {}),
}));

describe('concurrent creation of the same attribute sets', () => {
  let workers: TestWorker[] = [];
  afterAll(() => stopAll(workers));

  it('yields one series per set, whatever the key order', async () => {
    const { reader, workers: hub } = setup();
    workers = await startWorkers(hub, N);
    const barrier = new Int32Array(new SharedArrayBuffer(8));
    const runs = workers.map((w, i) =>
      w.run('createSets', {
        barrier: barrier.buffer,
        // Each worker walks the sets in its own order; half of them with keys reversed.
        sets: i % 2 === 0 ? SETS : [...SETS].reverse(),
        reverseKeys: i >= 2,
        repeat: 3,
      }),
    );
    while (Atomics.load(barrier, 1) < N) await new Promise(r => setTimeout(r, 1));
    Atomics.store(barrier, 0, 1);
    Atomics.notify(barrier, 0);
    await Promise.all(runs);
    const all = await points(reader);
    expect(all['intern.sets']).toHaveLength(SETS.length);
    expect(all['intern.sizes']).toHaveLength(SETS.length);
    for (const p of all['intern.sets']) expect(p.value).toBe(N * 3);
    for (const p of all['intern.sizes']) expect(p.value).toMatchObject({ count: N * 3, sum: N * 3 * 2 });
    const exported = new Set(all['intern.sets'].map(p => JSON.stringify(Object.entries(p.attributes).sort())));
    for (const set of SETS) expect(exported.has(JSON.stringify(Object.entries(set).sort()))).toBe(true);
    // 2 instruments, each with its 400 sets (and an overflow series, not counted).
    expect(hub.stats()).toMatchObject({ instruments: 2, series: 2 * SETS.length, overflowed: 0, busy: 0 });
  });

  it('keeps instruments of different scopes, kinds or units apart and merges the same identity', async () => {
    const { reader, workers: hub } = setup();
    workers.push(...(await startWorkers(hub, 2)));
    const [a, b] = workers.slice(-2);
    const op = (name: string, kind = 'counter') => ({ kind, name, values: [1], attrs: [null], repeat: 2 });
    await a.run('record', { scope: 'lib-a', ops: [op('shared.name'), op('Mixed.Case')] });
    await b.run('record', { scope: 'lib-a', ops: [op('shared.name'), op('mixed.case')] });
    await b.run('record', { scope: 'lib-b', version: '2.0.0', ops: [op('shared.name')] });
    await b.run('record', { scope: 'lib-a', ops: [op('other', 'updown')] });
    const { resourceMetrics } = await reader.collect();
    const seen = resourceMetrics.scopeMetrics.flatMap(s => s.metrics.map(m => [s.scope.name, s.scope.version ?? '', m.descriptor.name, m.dataPoints[0].value]));
    expect(seen.sort()).toEqual(
      [
        ['lib-a', '', 'shared.name', 4],
        ['lib-a', '', 'Mixed.Case', 4], // case-insensitive identity; the first name wins, as in sdk-metrics
        ['lib-a', '', 'other', 2],
        ['lib-b', '2.0.0', 'shared.name', 2],
      ].sort(),
    );
    expect(hub.stats().instruments).toBe(4);
  });
});
