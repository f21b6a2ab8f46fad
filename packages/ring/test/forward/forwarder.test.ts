import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RingBufferReader, RingConfigError } from '../../src/index.js';
import { T0, explicit, metric, resourceMetrics } from '../helpers.js';

afterEach(() => vi.restoreAllMocks());

type Exported = { resource: any; scopeMetrics: { scope: any; metrics: any[] }[] };

/** A PushMetricExporter double: records what it is given; `down` makes exports fail. */
class FakeExporter {
  received: Exported[] = [];
  down = false;
  calls = 0;
  shutdownCalled = false;
  constructor(private readonly _temporality: 0 | 1 = 1) {}
  export(metrics: Exported, cb: (r: { code: number; error?: Error }) => void) {
    this.calls++;
    if (this.down) {
      setImmediate(() => cb({ code: 1, error: new Error('backend down') }));
      return;
    }
    this.received.push(JSON.parse(JSON.stringify(metrics)));
    setImmediate(() => cb({ code: 0 }));
  }
  selectAggregationTemporality() {
    return this._temporality;
  }
  async forceFlush() {}
  async shutdown() {
    this.shutdownCalled = true;
  }
  /** [endTime ms, value] of each export's single point of `name`. */
  points(name: string): { start: number; end: number; value: any }[] {
    const out: { start: number; end: number; value: any }[] = [];
    for (const rm of this.received)
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics)
          if (m.descriptor.name === name)
            for (const p of m.dataPoints)
              out.push({ start: p.startTime[0] * 1000 + p.startTime[1] / 1e6, end: p.endTime[0] * 1000 + p.endTime[1] / 1e6, value: p.value });
    return out;
  }
}

function setup(temporality: 0 | 1, slots = 300) {
  const clock = { t: T0 };
  vi.spyOn(diag, 'warn').mockImplementation(() => {});
  const ring = new RingBufferReader({ now: () => clock.t, slots });
  const exporter = new FakeExporter(temporality);
  const forwarder = ring.forward(exporter, { intervalMillis: 10_000, manual: true });
  let total = 0;
  /** One second of data: the counter grows by `inc`. */
  const second = (inc = 3) => {
    clock.t += 1000;
    total += inc;
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: total, start: T0 }]), metric('g', 'gauge', [{ t: clock.t, value: total % 7 }])]));
  };
  const run = async (seconds: number, inc = 3) => {
    for (let i = 0; i < seconds; i++) {
      second(inc);
      if ((clock.t - T0) % 10_000 === 0) await forwarder.tick();
    }
  };
  return { clock, ring, exporter, forwarder, run, total: () => total };
}

describe('ring.forward()', () => {
  it('exports cumulative values at the exporter interval, without collecting again', async () => {
    const { exporter, run } = setup(1);
    await run(60);
    const pts = exporter.points('c');
    expect(pts.map(p => p.value)).toEqual([30, 60, 90, 120, 150, 180]);
    expect(pts.every(p => p.start === T0)).toBe(true);
    expect(exporter.points('g')).toHaveLength(6);
    expect(exporter.received[0].resource.attributes).toEqual({ 'service.name': 'svc' });
  });

  it("exports deltas in a delta exporter's temporality: consecutive intervals, no gap, summing to the total", async () => {
    const { exporter, run, total } = setup(0);
    await run(60);
    const pts = exporter.points('c');
    expect(pts.map(p => p.value)).toEqual([30, 30, 30, 30, 30, 30]);
    for (let i = 1; i < pts.length; i++) expect(pts[i].start).toBe(pts[i - 1].end);
    expect(pts.reduce((a, p) => a + p.value, 0)).toBe(total());
  });

  for (const temporality of [0, 1] as const) {
    it(`keeps the intervals through an outage shorter than the ring and sends the backlog in order (${temporality ? 'cumulative' : 'delta'})`, async () => {
      const { exporter, forwarder, run, total } = setup(temporality);
      await run(60);
      exporter.down = true;
      await run(120); // 2 minutes down: 12 intervals kept
      expect(forwarder.stats().pending).toBe(12);
      exporter.down = false;
      await run(60);
      const pts = exporter.points('c');
      // Every interval arrived, once, in order.
      expect(pts).toHaveLength(24);
      const ends = pts.map(p => p.end);
      expect(ends).toEqual([...ends].sort((a, b) => a - b));
      expect(new Set(ends).size).toBe(24);
      for (let i = 1; i < 24; i++) expect(ends[i] - ends[i - 1]).toBe(10_000);
      if (temporality === 0) {
        expect(pts.map(p => p.value)).toEqual(new Array(24).fill(30));
        expect(pts.reduce((a, p) => a + p.value, 0)).toBe(total());
      } else {
        expect(pts.map(p => p.value)).toEqual(Array.from({ length: 24 }, (_, i) => 30 * (i + 1)));
      }
      expect(forwarder.stats()).toMatchObject({ pending: 0, droppedIntervals: 0 });
    });
  }

  it('bounds the backlog by the ring: an outage longer than the ring gives up old intervals but loses no delta total', async () => {
    const { exporter, forwarder, run, total } = setup(0, 60);
    await run(20);
    exporter.down = true;
    await run(200);
    expect(forwarder.stats().pending).toBeLessThanOrEqual(forwarder.maxPending);
    expect(forwarder.stats().droppedIntervals).toBeGreaterThan(0);
    exporter.down = false;
    await run(10);
    const pts = exporter.points('c');
    expect(pts.reduce((a, p) => a + p.value, 0)).toBe(total());
    const ends = pts.map(p => p.end);
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
  });

  it('adds counter resets back into deltas', async () => {
    const clock = { t: T0 };
    const ring = new RingBufferReader({ now: () => clock.t });
    const exporter = new FakeExporter(0);
    const f = ring.forward(exporter, { intervalMillis: 5000, manual: true });
    const values = [10, 20, 30, 5, 15, 25, 35, 45, 55, 65];
    for (const v of values) {
      clock.t += 1000;
      ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: v }])]));
      if ((clock.t - T0) % 5000 === 0) await f.tick();
    }
    // 0 → 10 → 20 → 30, a reset, 5 → 15: 45 in the first 5 s; then +10 five times.
    expect(exporter.points('c').map(p => p.value)).toEqual([45, 50]);
  });

  it('forwards histograms: cumulative snapshots, or deltas of every bucket', async () => {
    for (const temporality of [0, 1] as const) {
      const clock = { t: T0 };
      const ring = new RingBufferReader({ now: () => clock.t });
      const exporter = new FakeExporter(temporality);
      const f = ring.forward(exporter, { intervalMillis: 2000, manual: true });
      for (let i = 1; i <= 6; i++) {
        clock.t += 1000;
        ring.ingest(resourceMetrics([metric('h', 'histogram', [{ t: clock.t, value: explicit([1, 2], [i, 2 * i, 0], 3 * i) }])]));
        if (i % 2 === 0) await f.tick();
      }
      const counts = exporter.points('h').map(p => p.value.buckets.counts);
      if (temporality === 1) {
        expect(counts).toEqual([
          [2, 4, 0],
          [4, 8, 0],
          [6, 12, 0],
        ]);
      } else {
        expect(counts).toEqual([
          [2, 4, 0],
          [2, 4, 0],
          [2, 4, 0],
        ]);
        expect(exporter.points('h').map(p => p.value.count)).toEqual([6, 6, 6]);
        expect(exporter.points('h').map(p => p.value.sum)).toEqual([6, 6, 6]);
      }
    }
  });

  it('treats a throwing exporter and one that never answers as failures, and retries', async () => {
    const clock = { t: T0 };
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const ring = new RingBufferReader({ now: () => clock.t });
    let mode: 'throw' | 'hang' | 'ok' = 'throw';
    const got: number[] = [];
    const exporter = {
      export(m: Exported, cb: (r: { code: number }) => void) {
        if (mode === 'throw') throw new Error('sync failure');
        if (mode === 'hang') return;
        got.push(m.scopeMetrics[0].metrics[0].dataPoints[0].value);
        cb({ code: 0 });
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const f = ring.forward(exporter, { intervalMillis: 1000, timeoutMillis: 150, manual: true });
    for (const m of ['throw', 'hang', 'ok'] as const) {
      mode = m;
      clock.t += 1000;
      ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: clock.t - T0 }])]));
      await f.tick();
    }
    // The silent export is still in flight: nothing is sent around it...
    expect(got).toEqual([]);
    expect(f.stats()).toMatchObject({ failed: 2, pending: 3 });
    // ...until it is abandoned (4 timeouts without an answer).
    await new Promise(r => setTimeout(r, 700));
    await f.drain();
    expect(got).toEqual([1000, 2000, 3000]);
    expect(f.stats()).toMatchObject({ failed: 2, pending: 0 });
  });

  it('waits for an export that outlives its timeout: a late success counts, nothing is sent twice or out of order', async () => {
    const clock = { t: T0 };
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const ring = new RingBufferReader({ now: () => clock.t });
    const got: number[] = [];
    let slow = true;
    const exporter = {
      export(m: Exported, cb: (r: { code: number }) => void) {
        const v = m.scopeMetrics[0].metrics[0].dataPoints[0].value;
        setTimeout(
          () => {
            got.push(v);
            cb({ code: 0 });
          },
          slow ? 120 : 0,
        );
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const f = ring.forward(exporter, { intervalMillis: 1000, timeoutMillis: 100, manual: true });
    clock.t += 1000;
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: 1 }])]));
    await f.tick(); // times out, still in flight
    slow = false;
    clock.t += 1000;
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: 2 }])]));
    await f.tick(); // skipped: the first export has not ended
    expect(got).toEqual([]);
    await new Promise(r => setTimeout(r, 600));
    clock.t += 1000;
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: 3 }])]));
    await f.tick();
    await new Promise(r => setTimeout(r, 20));
    expect(got).toEqual([1, 2, 3]);
  });

  it('shuts down with the ring: a last export, then the exporter is flushed and shut down', async () => {
    const clock = { t: T0 };
    const ring = new RingBufferReader({ now: () => clock.t });
    const exporter = new FakeExporter(1);
    ring.forward(exporter, { intervalMillis: 60_000 });
    clock.t += 1000;
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: 7 }])]));
    await ring.shutdown();
    expect(exporter.points('c').map(p => p.value)).toEqual([7]);
    expect(exporter.shutdownCalled).toBe(true);
  });

  it('rejects what is not an exporter', () => {
    const ring = new RingBufferReader();
    expect(() => ring.forward({} as never)).toThrow(RingConfigError);
    expect(() => ring.forward(new FakeExporter(), { intervalMillis: 0 })).toThrow(RingConfigError);
  });
});
