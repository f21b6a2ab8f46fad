// The built package loads from require() and import, with declarations for
// both, inside worker threads as in the main thread.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKER_EXEC_ARGV, ensureBuilt, points, setup } from './helpers.js';

beforeAll(ensureBuilt);

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const dist = (path: string) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url));

describe('packaging', () => {
  it('exports the same API from the CommonJS and ES module builds, with types', () => {
    // A plain Node process, as an application would load it (this test process resolves the "source" condition).
    const script = `
      const cjs = require('@fastmeter/workers');
      import('@fastmeter/workers').then(esm => console.log(JSON.stringify({
        cjs: Object.keys(cjs).sort(), esm: Object.keys(esm).sort(),
        cjsPath: require.resolve('@fastmeter/workers'), same: cjs.attachWorkerMetrics === esm.attachWorkerMetrics,
      })));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: PACKAGE, encoding: 'utf8', execArgv: [] } as never));
    const api = ['attachWorkerMetrics', 'createWorkerMeterProvider', 'isWorkerMetricsHandle'];
    expect(out).toEqual({ cjs: api, esm: api, cjsPath: dist('cjs/index.js'), same: false });
    expect(existsSync(dist('cjs/index.d.ts')) && existsSync(dist('esm/index.d.ts'))).toBe(true);
  });

  it('records from a CommonJS worker into a main side loaded as an ES module', async () => {
    const { reader, workers } = setup();
    const worker = new Worker(fileURLToPath(new URL('./fixtures/worker.cjs', import.meta.url)), {
      workerData: { handle: workers.handle },
      execArgv: WORKER_EXEC_ARGV,
    });
    workers.track(worker);
    const [message] = await Promise.all([new Promise<{ lane: number }>(r => worker.once('message', r)), new Promise(r => worker.once('exit', r))]);
    expect(message.lane).toBe(0);
    expect((await points(reader))['cjs.count']).toEqual([{ attributes: { format: 'cjs' }, value: 1000 }]);
  });
});
