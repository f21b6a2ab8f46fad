// A worker terminated while recording corrupts nothing: the other workers'
// totals stay exact, no point is malformed, the dead worker's lane is collected,
// zeroed and reused, and a write it died in is completed or dropped whole.
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerMeterProvider } from '@fastmeter/workers';
import { ByteWriter, seriesHash, writeAttributes } from '../src/common/encode.js';
import { C_BUCKETS, C_COUNT, C_SUM, J_AUX, J_COPY_I, J_COUNT, J_KEY_I, J_TICKET_I, J_VALUE, histogramCopyWords } from '../src/common/layout.js';
import { SharedMemory } from '../src/common/memory.js';
import { type Point, type TestWorker, assertWellFormed, ensureBuilt, points, setup, startWorkers, stopAll } from './helpers.js';

beforeAll(ensureBuilt);

const own = (all: Record<string, Point[]>, name: string, worker: unknown) => all[name]?.find(p => p.attributes.worker === worker)?.value;
const shared = (all: Record<string, Point[]>, name: string) => all[name]?.find(p => p.attributes.shared === true)?.value;

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 2));
  }
}

describe('worker.terminate() mid-recording', () => {
  let workers: TestWorker[] = [];
  afterAll(() => stopAll(workers));

  it('keeps the other totals exact, every point well-formed, and the lane reusable', async () => {
    const { reader, workers: hub } = setup({ maxThreads: 4 });
    workers = await startWorkers(hub, 4);
    const progressBuffer = new SharedArrayBuffer(8 * 4);
    const progress = new Int32Array(progressBuffer);
    const MAX = 60_000;
    const runs = workers.map((w, i) =>
      w.start('hammer', { progress: progressBuffer, slot: i + 1, max: i < 2 ? MAX : 1e9, value: 4.5, shared: { shared: true }, own: { worker: i } }),
    );
    const doomed = workers.slice(2);
    const doomedLanes = await Promise.all(doomed.map(w => w.ready.then(r => r.lane)));
    await until(() => progress[3] > 20_000 && progress[4] > 20_000);
    // Collect while they record, then terminate them mid-loop.
    assertWellFormed(await points(reader));
    await Promise.all(doomed.map(w => w.worker.terminate()));
    const rounds = [progress[3], progress[4]];
    expect(await Promise.all(runs.slice(0, 2))).toEqual([MAX, MAX]);

    const all = await points(reader);
    assertWellFormed(all);
    for (const p of all['hammer.value']) expect(p.value).toMatchObject({ sum: p.value.count * 4.5, min: 4.5, max: 4.5 });
    for (const i of [0, 1]) {
      expect(own(all, 'hammer.count', i)).toBe(MAX);
      expect(own(all, 'hammer.value', i).count).toBe(MAX);
    }
    let doomedShared = 0;
    for (const [j, i] of [2, 3].entries()) {
      // The round in flight when the thread stopped is counted whole or not at all, per instrument.
      expect(own(all, 'hammer.count', i)).toBeGreaterThanOrEqual(rounds[j]);
      expect(own(all, 'hammer.count', i)).toBeLessThanOrEqual(rounds[j] + 1);
      expect(own(all, 'hammer.value', i).count).toBeGreaterThanOrEqual(rounds[j]);
      expect(own(all, 'hammer.value', i).count).toBeLessThanOrEqual(rounds[j] + 1);
      doomedShared += rounds[j];
    }
    const sharedCount = shared(all, 'hammer.count');
    expect(sharedCount - 2 * MAX).toBeGreaterThanOrEqual(doomedShared);
    expect(sharedCount - 2 * MAX).toBeLessThanOrEqual(doomedShared + 2);
    expect(hub.stats()).toMatchObject({ drained: 2, lanes: { active: 2, released: 0, capacity: 4 } });

    // New workers take the freed lanes, start from zero, and leave the dead workers' totals alone.
    const fresh = await startWorkers(hub, 2);
    workers.push(...fresh);
    expect((await Promise.all(fresh.map(w => w.ready.then(r => r.lane)))).sort()).toEqual(doomedLanes.sort());
    progress.fill(0);
    await Promise.all(
      fresh.map((w, i) =>
        w.run('hammer', { progress: progressBuffer, slot: 5 + i, max: 10_000, value: 4.5, shared: { shared: true }, own: { worker: `new-${i}` } }),
      ),
    );
    const after = await points(reader);
    assertWellFormed(after);
    expect(own(after, 'hammer.count', 'new-0')).toBe(10_000);
    expect(own(after, 'hammer.value', 'new-1')).toMatchObject({ count: 10_000, sum: 45_000 });
    for (const i of [2, 3]) expect(own(after, 'hammer.count', i)).toBe(own(all, 'hammer.count', i));
    expect(shared(after, 'hammer.count')).toBe(sharedCount + 20_000);
    expect(shared(after, 'hammer.value').count).toBe(shared(all, 'hammer.value').count + 20_000);
  });
});

describe('a thread that dies inside a write (simulated in this thread)', () => {
  it('completes a write whose journal names it, and drops one that had not begun', async () => {
    const { reader, workers: hub } = setup();
    const provider = createWorkerMeterProvider(hub.handle);
    const histogram = provider.getMeter('torn').createHistogram('torn', { advice: { explicitBucketBoundaries: [1, 10] } });
    histogram.record(5, { k: 'a' });
    histogram.record(5, { k: 'a' });
    expect((await points(reader)).torn[0].value).toMatchObject({ count: 2, sum: 10 });

    // Replay the first steps of histogram.record(50, { k: 'a' }) and stop where a terminated thread could.
    const memory = SharedMemory.open(hub.handle);
    const lane = memory.laneBase(provider.lane);
    const f = memory.values;
    const vi = memory.valuesI32;
    const off = vi[lane * 2 + J_KEY_I] / 2;
    const ctl = (lane + off) * 2;
    const old = Atomics.add(vi, ctl, 2);
    const copy = old & 1;
    const at = lane + off + 2 + copy * histogramCopyWords(2);
    f[lane + J_VALUE] = 50;
    f[lane + J_AUX] = f[at + C_SUM];
    f[lane + J_COUNT] = f[at + C_COUNT];
    vi[lane * 2 + J_COPY_I] = copy;
    vi[lane * 2 + J_TICKET_I] = old >>> 1;
    vi[lane * 2 + J_KEY_I] = off * 2;
    f[at + C_BUCKETS + 2] += 1; // the bucket was written; sum, count, min/max and done were not
    hub.release(threadId);
    const [point] = (await points(reader)).torn;
    expect(point.value).toEqual({ count: 3, sum: 60, min: 5, max: 50, buckets: { boundaries: [1, 10], counts: [0, 2, 1] } });
    expect(hub.stats()).toMatchObject({ partialWrites: 1, drained: 1 });

    // A second thread-like provider: the write is announced, nothing else happened.
    const second = createWorkerMeterProvider(hub.handle);
    const h2 = second.getMeter('torn').createHistogram('torn', { advice: { explicitBucketBoundaries: [1, 10] } });
    h2.record(7, { k: 'a' });
    const base2 = memory.laneBase(second.lane);
    Atomics.add(vi, (base2 + off) * 2, 2);
    hub.release(threadId);
    const [again] = (await points(reader)).torn;
    expect(again.value).toEqual({ count: 4, sum: 67, min: 5, max: 50, buckets: { boundaries: [1, 10], counts: [0, 3, 1] } });
    expect(hub.stats()).toMatchObject({ partialWrites: 2, drained: 2, lanes: { active: 0 } });
  });

  it('turns a set it was creating into a tombstone, so other threads do not wait for it', async () => {
    const { reader, workers: hub } = setup();
    const dying = createWorkerMeterProvider(hub.handle);
    dying.getMeter('test').createCounter('reg').add(1, { k: 'first' }); // instrument id 0
    const memory = SharedMemory.open(hub.handle);
    const w = new ByteWriter();
    writeAttributes(w, ['k'], ['z'], [0]);
    const slot = memory.layout.seriesSlots + (seriesHash(0, w.bytes()) & (memory.layout.seriesSlotCount - 1));
    expect(Atomics.compareExchange(memory.control, slot, 0, -(dying.lane + 1))).toBe(0); // claimed, never published
    hub.release(threadId);
    const [worker] = await startWorkers(hub, 1);
    const started = Date.now();
    await worker.run('record', { ops: [{ kind: 'counter', name: 'reg', values: [2], attrs: [{ k: 'z' }], repeat: 3 }] });
    expect(Date.now() - started).toBeLessThan(500);
    expect((await points(reader)).reg.map(p => [p.attributes, p.value])).toEqual([
      [{ k: 'first' }, 1],
      [{ k: 'z' }, 6],
    ]);
    expect(hub.stats().busy).toBe(0);
    await worker.worker.terminate();
  });
});
