// piscina: one workerData for all threads carries the handle; the pool's
// threads (pool.threads, Worker objects) are tracked as they are created, so
// threads piscina retires (idle timeout, destroy) have their lanes collected
// and reused. Totals stay exact across the pool's whole life.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKER_EXEC_ARGV, ensureBuilt, points, setup, total } from './helpers.js';

beforeAll(ensureBuilt);

describe('piscina', () => {
  it('exports exact totals while the pool grows, retires idle threads and is destroyed', async () => {
    const { reader, workers: hub } = setup({ maxThreads: 4 });
    const pool = new Piscina({
      filename: fileURLToPath(new URL('./fixtures/piscina-task.mjs', import.meta.url)),
      workerData: { metrics: hub.handle },
      minThreads: 1,
      maxThreads: 3,
      idleTimeout: 100,
      execArgv: WORKER_EXEC_ARGV,
    });
    pool.on('workerCreate', () => {
      for (const thread of pool.threads) hub.track(thread);
    });
    const batch = (count: number, kind: string) => Promise.all(Array.from({ length: count }, () => pool.run({ n: 50, kind })));
    await batch(300, 'a');
    const first = await points(reader);
    expect(total(first['task.items'])).toBe(300 * 50);
    expect(total(first['task.size'])).toBe(300);
    const joined = hub.stats().joins;
    await new Promise(r => setTimeout(r, 600)); // idle threads above minThreads are retired
    await batch(300, 'b');
    await pool.destroy();
    const all = await points(reader);
    expect(all['task.items'].map(p => [p.attributes, p.value])).toEqual([
      [{ kind: 'a' }, 300 * 50],
      [{ kind: 'b' }, 300 * 50],
    ]);
    expect(all['task.size'].map(p => p.value.count)).toEqual([300, 300]);
    const stats = hub.stats();
    expect(stats.lanes).toMatchObject({ active: 0, released: 0 });
    expect(stats.drained).toBe(stats.joins);
    expect(stats.joins).toBeGreaterThan(joined); // retired threads were replaced by new ones, in freed lanes
    expect(stats.noLane).toBe(0);
  });
});
