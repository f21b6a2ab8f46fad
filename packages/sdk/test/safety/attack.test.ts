// The cardinality attack (issue: bounded and safe under any input): 1,000,000
// distinct attribute sets into one counter and one histogram, with a cumulative
// and a delta reader. Runs the built package in a child process under
// --expose-gc so that heap figures mean something.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, '../../dist/esm/index.js');
/** The bound we promise: the limit (2000 series + overflow per stream) costs a few MB, whatever the input. */
const HEAP_GROWTH_LIMIT = 16 * 1024 * 1024;

describe('cardinality attack', () => {
  it('1M distinct sets: totals exact (named series + overflow), streams within their limit, heap bounded', () => {
    expect(existsSync(DIST), 'the built package is needed (pnpm build)').toBe(true);
    const out = execFileSync(process.execPath, ['--expose-gc', join(HERE, 'fixtures/attack.mjs'), '1000000'], {
      cwd: HERE,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const r = JSON.parse(out);
    // Nothing accepted is lost: every measurement is in a named series or in overflow.
    expect(r.totals.cumulative.count).toBe(r.recordedCount);
    expect(r.totals.cumulative.sum).toBe(r.recordedSum);
    expect(r.totals.delta.count).toBe(r.recordedCount);
    expect(r.totals.delta.sum).toBe(r.recordedSum);
    // No stream ever exports more than its limit (1999 attribute sets + overflow).
    expect(r.totals.cumulative.maxPoints).toBeLessThanOrEqual(2000);
    expect(r.totals.delta.maxPoints).toBeLessThanOrEqual(2000);
    // Memory: what the first 100k sets cost is all it ever costs.
    expect(r.heapAfter - r.heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT);
    expect(r.heapAfter - r.heapAfterFirstInterval).toBeLessThan(2 * 1024 * 1024);
    console.log(
      `attack: ${r.recordedCount} sets, heap growth ${((r.heapAfter - r.heapBefore) / 1048576).toFixed(2)} MB ` +
        `(after first 100k: ${((r.heapAfterFirstInterval - r.heapBefore) / 1048576).toFixed(2)} MB)`,
    );
  }, 130_000);
});
