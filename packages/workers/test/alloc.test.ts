// The worker record path allocates nothing once a series exists: millions of
// records into existing series cause no garbage collection.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers.js';

beforeAll(ensureBuilt);

describe('record path', () => {
  it('allocates nothing per record (3 × 2M records, no GC)', () => {
    const script = fileURLToPath(new URL('./fixtures/alloc.mjs', import.meta.url));
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', script, '2000000'], { encoding: 'utf8' }));
    expect(out.events).toBe(0);
    expect(out.heapGrowth).toBeLessThan(256 * 1024);
  });
});
