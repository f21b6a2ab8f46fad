// The receiver fed by the real OTLPMetricExporter (protobuf and JSON, gzip and
// not), each running in its own process: what the ring ingests equals, value for
// value, what sdk-metrics collected in that process.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningReceiver, startOtlpReceiver } from '../../src/index.js';
import { CaptureRing, flatten, runNode } from '../helpers.js';

const CHILD = join(import.meta.dirname, '../fixtures/otlp-child.mjs');

let ring: CaptureRing;
let running: RunningReceiver;
beforeAll(async () => {
  ring = new CaptureRing();
  running = await startOtlpReceiver({ ring, port: 0 });
});
afterAll(() => running.close());

describe.each([
  ['proto', 'none'],
  ['proto', 'gzip'],
  ['json', 'none'],
  ['json', 'gzip'],
])('OTLPMetricExporter %s (%s)', (format, compression) => {
  it('delivers exactly what sdk-metrics collected', async () => {
    const before = ring.received.length;
    const child = await runNode([CHILD, running.url, format, compression], { cwd: join(import.meta.dirname, '..') });
    expect(child.stderr).not.toMatch(/error/i);
    expect(child.code).toBe(0);
    const expected = JSON.parse(child.stdout);
    const received = ring.received.slice(before);
    // forceFlush and then shutdown each export once: cumulative, the same values twice.
    expect(received).toHaveLength(2);
    expect(flatten([received[1]])).toEqual(flatten([received[0]]));
    const [rm] = received;

    // Resource attributes arrive with the data (they become series dimensions in the ring).
    expect(rm.resource.attributes).toMatchObject({ 'service.name': `child-${format}`, 'service.instance.id': expect.any(String) });
    expect(rm.resource.attributes).toEqual(expected.resource);

    const got = flatten([rm]);
    const want = flatten([expected]);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(Object.keys(got)).toHaveLength(6);
    expect(got).toEqual(want);

    // Descriptors, temporality, monotonicity and timestamps.
    const byName = new Map(rm.scopeMetrics.flatMap(sm => sm.metrics.map(m => [m.descriptor.name, m] as const)));
    const wantByName = new Map(expected.scopeMetrics.flatMap((sm: any) => sm.metrics.map((m: any) => [m.descriptor.name, m] as const)));
    for (const [name, m] of byName) {
      const w: any = wantByName.get(name);
      expect(m.descriptor.description, name).toBe(w.descriptor.description);
      expect(m.descriptor.unit, name).toBe(w.descriptor.unit);
      expect(m.dataPointType, name).toBe(w.dataPointType);
      expect(m.aggregationTemporality, name).toBe(w.aggregationTemporality);
      if (m.dataPointType === 3) expect(m.isMonotonic, name).toBe(w.isMonotonic);
      for (const p of m.dataPoints) {
        const wp = w.dataPoints.find((x: any) => JSON.stringify(x.attributes) === JSON.stringify(p.attributes)) ?? w.dataPoints[0];
        expect(p.endTime[0], name).toBeGreaterThan(1_600_000_000);
        expect(p.startTime, name).toEqual(wp.startTime);
      }
    }
    expect(rm.scopeMetrics[0].scope).toEqual({ name: 'child-app', version: '1.2.3' });
    expect(running.receiver.stats.rejectedPoints).toBe(0);
  });
});
