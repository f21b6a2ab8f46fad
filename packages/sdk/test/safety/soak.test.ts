// A simulated 24 hours (86,400 collections, fake clock) with churning series
// on a cumulative and a delta reader: totals stay exact and memory stays flat.
// Child process, built package, --expose-gc.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
/** After the first simulated hour, the heap may not grow by more than this over the remaining 23 hours. */
const HEAP_GROWTH_LIMIT = 1024 * 1024;

function soak(...args: string[]) {
  expect(existsSync(join(HERE, '../../dist/esm/index.js')), 'the built package is needed (pnpm build)').toBe(true);
  const out = execFileSync(process.execPath, ['--expose-gc', join(HERE, 'fixtures/soak.mjs'), ...args], { cwd: HERE, encoding: 'utf8', timeout: 240_000 });
  return JSON.parse(out);
}

describe('24-hour soak (simulated)', () => {
  it('86,400 collections of churning series: exact totals, bounded streams, flat heap', () => {
    const r = soak('86400');
    expect(r.deltaTotal).toBe(r.recorded);
    expect(r.finalCumulative).toBe(r.recorded);
    expect(r.maxPoints).toBeLessThanOrEqual(500);
    const growth = Math.max(...r.samples, r.heapEnd) - r.heapAfterWarmup;
    expect(growth).toBeLessThan(HEAP_GROWTH_LIMIT);
    console.log(`soak: ${r.collections} collections, ${r.recorded} measurements, heap growth after the first hour ${(growth / 1024).toFixed(0)} KiB`);
  }, 240_000); // the child process has 240 s (execFileSync timeout); a loaded machine needs more than the default 30 s

  it('with cumulativeEviction, the cumulative stream holds only recently active series all day', () => {
    // 40 users are active each minute; idle for 60 collections (1 simulated minute) means evicted.
    const r = soak('86400', '60');
    expect(r.deltaTotal).toBe(r.recorded);
    expect(r.maxPoints).toBeLessThanOrEqual(2 * 40 * 1 + 1);
    expect(Math.max(...r.samples, r.heapEnd) - r.heapAfterWarmup).toBeLessThan(HEAP_GROWTH_LIMIT);
  }, 240_000); // the child process has 240 s (execFileSync timeout); a loaded machine needs more than the default 30 s
});
