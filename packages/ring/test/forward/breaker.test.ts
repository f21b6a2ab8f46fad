// Forwarding through @fastmeter/processors' CircuitBreakerExporter: while the
// breaker is open, exports fail fast and the ring keeps the intervals; once it
// closes, the backlog goes out in order, each interval once.
import { CircuitBreakerExporter } from '@fastmeter/processors';
import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RingBufferReader } from '../../src/index.js';
import { T0, metric, resourceMetrics } from '../helpers.js';

afterEach(() => vi.restoreAllMocks());

class Backend {
  up = true;
  calls = 0;
  received: { end: number; value: number }[] = [];
  export(m: any, cb: (r: { code: number; error?: Error }) => void) {
    this.calls++;
    if (!this.up) {
      setImmediate(() => cb({ code: 1, error: new Error('down') }));
      return;
    }
    for (const sm of m.scopeMetrics)
      for (const x of sm.metrics) for (const p of x.dataPoints) this.received.push({ end: p.endTime[0] * 1000 + p.endTime[1] / 1e6, value: p.value });
    setImmediate(() => cb({ code: 0 }));
  }
  selectAggregationTemporality() {
    return 0; // delta
  }
  async forceFlush() {}
  async shutdown() {}
}

describe('ring.forward() through a CircuitBreakerExporter', () => {
  it('keeps every interval while the breaker is open and sends them once, in order, after it closes', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const clock = { t: T0 };
    const ring = new RingBufferReader({ now: () => clock.t });
    const backend = new Backend();
    const breaker = new CircuitBreakerExporter(backend, { failureThreshold: 2, maxPendingBytes: 0, backoff: { initialMillis: 15, maxMillis: 15, jitter: 0 } });
    const forwarder = ring.forward(breaker, { intervalMillis: 10_000, manual: true });
    let total = 0;
    for (let s = 1; s <= 180; s++) {
      backend.up = s <= 40 || s > 130;
      clock.t = T0 + s * 1000;
      total += 2;
      ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: total }])]));
      if (s % 10 === 0) {
        await forwarder.tick();
        await new Promise(r => setTimeout(r, 5)); // the breaker's backoff elapses
      }
    }
    // Bounded wait for the breaker to probe and close, and for the backlog to go out.
    for (let i = 0; i < 100 && forwarder.stats().pending > 0; i++) {
      await new Promise(r => setTimeout(r, 20));
      await forwarder.drain();
    }
    expect(breaker.stats().shortCircuited).toBeGreaterThan(0);
    const ends = backend.received.map(r => r.end);
    expect(ends).toEqual(Array.from({ length: 18 }, (_, i) => T0 + (i + 1) * 10_000));
    expect(backend.received.map(r => r.value)).toEqual(new Array(18).fill(20));
    expect(backend.received.reduce((a, r) => a + r.value, 0)).toBe(total);
    expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('would be sent twice'));
    await ring.shutdown();
  });

  it('warns when the breaker also holds the delta data (it would be sent twice)', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const clock = { t: T0 };
    const ring = new RingBufferReader({ now: () => clock.t });
    const backend = new Backend();
    backend.up = false;
    const forwarder = ring.forward(new CircuitBreakerExporter(backend), { intervalMillis: 1000, manual: true });
    clock.t += 1000;
    ring.ingest(resourceMetrics([metric('c', 'counter', [{ t: clock.t, value: 1 }])]));
    await forwarder.tick();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('maxPendingBytes: 0'));
    await ring.shutdown();
  });
});
