// The memory bound of held delta data is in bytes charged per point
// (pending.ts). The charge must not undercount what the heap really retains,
// or the bound would not bound memory: 20,000 held points with three
// attributes each, as sums and as explicit histograms, measured with gc().
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PendingBatch } from '../../src/breaker/pending.js';
import { deltaReader, setup } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('the byte charge of held points', () => {
  for (const kind of ['sum', 'histogram'] as const) {
    it(`covers the heap retained by 20,000 held ${kind} points`, async () => {
      const reader = deltaReader();
      const { meter } = setup({ readers: [reader], views: [{ instrumentName: '*', aggregationCardinalityLimit: 5000 }] });
      const counter = meter.createCounter('c');
      const histogram = meter.createHistogram('h');
      const pending = new PendingBatch(Number.MAX_SAFE_INTEGER);
      await reader.collect();
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 1000; i++) {
          const attributes = { 'http.route': `/api/v1/items/${round}-${i}`, 'http.request.method': 'GET', 'http.response.status_code': 200 };
          if (kind === 'sum') counter.add(1, attributes);
          else histogram.record(i, attributes);
        }
        pending.hold((await reader.collect()).resourceMetrics);
      }
      await reader.collect(); // the SDK releases its last interval's series
      gc();
      const retained = process.memoryUsage().heapUsed - before;
      console.log(`${kind}: ${pending.size} points, charged ${pending.bytes} B, heap retained ${retained} B (${(retained / pending.bytes).toFixed(2)}×)`);
      expect(pending.size).toBe(20_000);
      expect(retained).toBeLessThanOrEqual(pending.bytes * 1.1);
      expect(retained).toBeGreaterThan(pending.bytes * 0.5);
    }, 60_000);
  }
});
