// CircuitBreakerExporter around a scripted exporter, fed real ResourceMetrics
// collected from a FastMeterProvider: states and backoff, fail-fast while
// open, held delta data (merged, bounded, sent first), cumulative data not
// held, timeouts, misbehaving exporters, bounded flush/shutdown, self-metrics
// and the series limit while open.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AggregationTemporality, ErrorCode, FastMeterConfigError, FastMeterProvider, type Histogram, type ResourceMetrics } from '@fastmeter/sdk';
import { BreakerState, CircuitBreakerExporter, type CircuitBreakerOptions, ExportResultCode } from '@fastmeter/processors';
import { TestReader, deltaReader, points, selfMetric, setup, unhandledRejections } from '../helpers.js';
import { ScriptedExporter, exportOnce, total, valuesOf } from './scripted.js';

const NO_JITTER: CircuitBreakerOptions = { backoff: { initialMillis: 1000, maxMillis: 8000, multiplier: 2, jitter: 0 } };

/** A provider whose delta reader yields one ResourceMetrics per collect. */
function source(temporality: 'delta' | 'cumulative' = 'delta') {
  const reader = temporality === 'delta' ? deltaReader() : new TestReader();
  const { meter } = setup({ readers: [reader] });
  const counter = meter.createCounter('requests');
  const histogram = meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [10, 100] } });
  const gauge = meter.createGauge('queue');
  const collect = async (): Promise<ResourceMetrics> => (await reader.collect()).resourceMetrics;
  return { meter, counter, histogram, gauge, collect };
}

const rejections = unhandledRejections();

beforeEach(() => {
  vi.useFakeTimers();
  rejections.install();
});
afterEach(async () => {
  vi.useRealTimers();
  await new Promise(resolve => setImmediate(resolve));
  expect(rejections.uninstall()).toEqual([]);
});

describe('states', () => {
  it('closed → open after N consecutive failures → half-open after the backoff → closed after a successful probe', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { ...NO_JITTER, failureThreshold: 3 });
    const src = source('cumulative');
    src.counter.add(1);
    inner.mode = 'fail';
    for (let i = 0; i < 2; i++) {
      expect((await exportOnce(breaker, await src.collect())).code).toBe(ExportResultCode.FAILED);
      expect(breaker.state).toBe(BreakerState.CLOSED);
    }
    await exportOnce(breaker, await src.collect());
    expect(breaker.state).toBe(BreakerState.OPEN);
    expect(inner.calls).toBe(3);
    // Open: fails fast, the wrapped exporter is not called.
    const r = await exportOnce(breaker, await src.collect());
    expect(r.code).toBe(ExportResultCode.FAILED);
    expect(r.error?.message).toContain('is open');
    expect(inner.calls).toBe(3);
    vi.advanceTimersByTime(999);
    expect(breaker.state).toBe(BreakerState.OPEN);
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe(BreakerState.HALF_OPEN);
    inner.mode = 'ok';
    expect((await exportOnce(breaker, await src.collect())).code).toBe(ExportResultCode.SUCCESS);
    expect(breaker.state).toBe(BreakerState.CLOSED);
    expect(total(inner.received, 'requests')).toBe(1); // cumulative: the success carries the total
    expect(breaker.stats()).toMatchObject({ consecutiveFailures: 0, failures: { error: 3, timeout: 0 }, shortCircuited: 1 });
  });

  it('a success resets the count of consecutive failures', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 2 });
    const src = source();
    for (const mode of ['fail', 'ok', 'fail', 'ok', 'fail'] as const) {
      inner.mode = mode;
      await exportOnce(breaker, await src.collect());
    }
    expect(breaker.state).toBe(BreakerState.CLOSED);
  });

  it('the backoff doubles per failed probe up to its maximum, and resets on success', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { ...NO_JITTER, failureThreshold: 1 });
    const src = source('cumulative');
    inner.mode = 'fail';
    const openFor: number[] = [];
    for (let i = 0; i < 6; i++) {
      await exportOnce(breaker, await src.collect()); // a failed export (or failed probe) opens
      expect(breaker.state).toBe(BreakerState.OPEN);
      let waited = 0;
      while (breaker.state === BreakerState.OPEN) {
        vi.advanceTimersByTime(250);
        waited += 250;
      }
      openFor.push(waited);
    }
    expect(openFor).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    inner.mode = 'ok';
    await exportOnce(breaker, await src.collect());
    inner.mode = 'fail';
    await exportOnce(breaker, await src.collect());
    vi.advanceTimersByTime(1000);
    expect(breaker.state).toBe(BreakerState.HALF_OPEN);
  });

  it('jitter keeps each backoff within ± jitter of its base, never above the maximum', async () => {
    for (const r of [0, 0.999]) {
      const inner = new ScriptedExporter();
      inner.mode = 'fail';
      const breaker = new CircuitBreakerExporter(inner, {
        failureThreshold: 1,
        backoff: { initialMillis: 1000, maxMillis: 1500, multiplier: 2, jitter: 0.2 },
        random: () => r,
      });
      const src = source('cumulative');
      const openFor: number[] = [];
      for (let i = 0; i < 2; i++) {
        await exportOnce(breaker, await src.collect());
        let waited = 0;
        while (breaker.state === BreakerState.OPEN) {
          vi.advanceTimersByTime(10);
          waited += 10;
        }
        openFor.push(waited);
      }
      expect(openFor).toEqual(r === 0 ? [800, 1200] : [1200, 1500]);
    }
  });

  it('a timeout is a failure; the late answer is ignored', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { ...NO_JITTER, failureThreshold: 2, exportTimeoutMillis: 500 });
    const src = source();
    src.counter.add(5);
    inner.mode = 'hang';
    const pending = exportOnce(breaker, await src.collect());
    await vi.advanceTimersByTimeAsync(500);
    const r = await pending;
    expect(r.code).toBe(ExportResultCode.FAILED);
    expect(r.error?.message).toContain('timed out after 500 ms');
    expect(breaker.stats()).toMatchObject({ failures: { timeout: 1, error: 0 }, abandoned: 1, pendingPoints: 1 });
    inner.hanging[0]({ code: ExportResultCode.SUCCESS });
    expect(breaker.stats().abandoned).toBe(0);
    expect(breaker.state).toBe(BreakerState.CLOSED);
  });
});

describe('held delta data', () => {
  it('merges failed intervals into one point per series and sends it before the next batch', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { ...NO_JITTER, failureThreshold: 2 });
    const src = source();
    inner.mode = 'fail';
    for (let i = 1; i <= 5; i++) {
      src.counter.add(i, { route: '/a' });
      src.counter.add(10, { route: `/only-${i}` });
      src.histogram.record(i * 20);
      src.gauge.record(i);
      await exportOnce(breaker, await src.collect());
    }
    expect(breaker.state).toBe(BreakerState.OPEN);
    expect(breaker.stats().pendingPoints).toBe(5 * 4);
    inner.mode = 'ok';
    await vi.advanceTimersByTimeAsync(1000); // half-open: the held data is the probe
    expect(breaker.state).toBe(BreakerState.CLOSED);
    expect(inner.received).toHaveLength(1);
    const held = valuesOf(inner.received);
    expect(held.requests['{"route":"/a"}']).toEqual([15]);
    expect(Object.keys(held.requests)).toHaveLength(6);
    expect(held.queue['{}']).toEqual([5]); // the latest gauge value
    const h = held.latency['{}'][0] as Histogram;
    expect(h).toMatchObject({ count: 5, sum: 300, min: 20, max: 100, buckets: { boundaries: [10, 100], counts: [0, 5, 0] } });
    const metric = inner.received[0].scopeMetrics[0].metrics.find(m => m.descriptor.name === 'requests');
    expect(metric?.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    // one interval from the first failed start to the last failed end
    src.counter.add(1, { route: '/a' });
    await exportOnce(breaker, await src.collect());
    expect(inner.received).toHaveLength(2);
    expect(total(inner.received, 'requests')).toBe(15 + 50 + 1);
    expect(breaker.stats().pendingPoints).toBe(0);
  });

  it('on a closed circuit, the held data goes first and the new batch second', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 5 });
    const src = source();
    inner.mode = 'fail';
    src.counter.add(1, { n: 'old' });
    await exportOnce(breaker, await src.collect());
    inner.mode = 'ok';
    src.counter.add(2, { n: 'new' });
    await exportOnce(breaker, await src.collect());
    expect(inner.received.map(rm => Object.keys(valuesOf([rm]).requests))).toEqual([['{"n":"old"}'], ['{"n":"new"}']]);
  });

  it('past the byte bound, the series whose latest data is oldest are dropped, counted exactly', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 1_000_000, maxPendingBytes: 40_000 });
    const src = source();
    inner.mode = 'fail';
    let produced = 0;
    for (let interval = 0; interval < 30; interval++) {
      // 40 steady series plus 10 new ones per interval: the new ones push the oldest out.
      for (let s = 0; s < 40; s++) src.counter.add(1, { s });
      for (let s = 0; s < 10; s++) src.counter.add(1, { fresh: `${interval}-${s}` });
      produced += 50;
      await exportOnce(breaker, await src.collect());
      expect(breaker.stats().pendingBytes).toBeLessThanOrEqual(40_000);
    }
    const { droppedPoints, pendingPoints } = breaker.stats();
    expect(droppedPoints).toBeGreaterThan(0);
    expect(droppedPoints + pendingPoints).toBe(produced);
    inner.mode = 'ok';
    await exportOnce(breaker, await src.collect());
    // each point recorded 1 per interval: what arrived plus what was dropped is everything
    expect(total(inner.received, 'requests') + droppedPoints).toBe(produced);
    // the steady series were touched every interval, so they survived
    const arrived = valuesOf(inner.received).requests;
    for (let s = 0; s < 40; s++) expect(arrived[JSON.stringify({ s })]).toEqual([30]);
  });

  it('cumulative data is not held', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 1 });
    const src = source('cumulative');
    src.counter.add(3);
    inner.mode = 'fail';
    await exportOnce(breaker, await src.collect());
    expect(breaker.stats()).toMatchObject({ pendingPoints: 0, pendingBytes: 0, droppedPoints: 0 });
  });
});

describe('misbehaving exporters and the promise contract', () => {
  it('an exporter that throws, or answers twice, yields one answer and no rejection', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 10 });
    const src = source();
    inner.mode = 'throw';
    src.counter.add(1);
    const r = await exportOnce(breaker, await src.collect());
    expect(r).toMatchObject({ code: ExportResultCode.FAILED, error: { message: 'exporter threw' } });
    inner.mode = 'twice';
    const answers: number[] = [];
    breaker.export(await src.collect(), res => answers.push(res.code));
    await vi.advanceTimersByTimeAsync(0);
    expect(answers).toEqual([ExportResultCode.SUCCESS]);
    expect(total(inner.received, 'requests')).toBe(1);
  });

  it('a result callback that throws is contained', async () => {
    const breaker = new CircuitBreakerExporter(new ScriptedExporter());
    const src = source();
    breaker.export(await src.collect(), () => {
      throw new Error('callback bug');
    });
    await vi.advanceTimersByTimeAsync(0);
  });

  it('forceFlush and shutdown resolve within their timeouts when the exporter hangs, and never reject', async () => {
    const inner = new ScriptedExporter();
    inner.flushHangs = true;
    const breaker = new CircuitBreakerExporter(inner, { forceFlushTimeoutMillis: 300, shutdownTimeoutMillis: 400 });
    let flushed = false;
    breaker.forceFlush().then(() => {
      flushed = true;
    });
    await vi.advanceTimersByTimeAsync(299);
    expect(flushed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(flushed).toBe(true);
    let down = false;
    breaker.shutdown().then(() => {
      down = true;
    });
    await vi.advanceTimersByTimeAsync(400);
    expect(down).toBe(true);
    expect(breaker.shutdown()).toBe(breaker.shutdown());
  });

  it('while exports it gave up on are in flight, flush and shutdown do not wait for them', async () => {
    const inner = new ScriptedExporter();
    inner.flushHangs = true;
    const breaker = new CircuitBreakerExporter(inner, { exportTimeoutMillis: 100, forceFlushTimeoutMillis: 60_000, shutdownTimeoutMillis: 60_000 });
    inner.mode = 'hang';
    const src = source();
    const r = exportOnce(breaker, await src.collect());
    await vi.advanceTimersByTimeAsync(100);
    await r;
    let done = false;
    Promise.all([breaker.forceFlush(), breaker.shutdown()]).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });

  it('shutdown with an open circuit does not touch the network; undelivered delta data is counted as dropped', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 1 });
    const src = source();
    inner.mode = 'fail';
    src.counter.add(1, { a: 1 });
    src.counter.add(1, { a: 2 });
    await exportOnce(breaker, await src.collect());
    const calls = inner.calls;
    await breaker.shutdown();
    expect(inner.calls).toBe(calls);
    expect(breaker.stats().droppedPoints).toBe(2);
    expect((await exportOnce(breaker, await src.collect())).error?.message).toContain('shut down');
  });

  it('shutdown on a healthy closed circuit delivers what is held', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 3 });
    const src = source();
    inner.mode = 'fail';
    src.counter.add(4);
    await exportOnce(breaker, await src.collect());
    inner.mode = 'ok';
    await exportOnce(breaker, await src.collect()); // delivers the held point first
    inner.mode = 'fail';
    src.counter.add(2);
    // a failure right before shutdown: the backend just failed, shutdown does not retry
    await exportOnce(breaker, await src.collect());
    await breaker.shutdown();
    expect(total(inner.received, 'requests')).toBe(4);
    expect(breaker.stats().droppedPoints).toBe(1);
  });

  it('rejects bad options with FM_INVALID_OPTION', () => {
    const inner = new ScriptedExporter();
    for (const bad of [
      { failureThreshold: 0 },
      { exportTimeoutMillis: -1 },
      { backoff: { initialMillis: 10, maxMillis: 5 } },
      { maxPendingBytes: Number.NaN },
      { backoff: { jitter: 2 } },
    ] as CircuitBreakerOptions[]) {
      expect(() => new CircuitBreakerExporter(inner, bad)).toThrow(FastMeterConfigError);
    }
    try {
      new CircuitBreakerExporter({} as never);
    } catch (err) {
      expect((err as FastMeterConfigError).code).toBe(ErrorCode.INVALID_OPTION);
    }
  });
});

describe('one export at a time, and shutdown of an attached breaker', () => {
  it('an export arriving while an earlier one is in flight is held, not sent alongside it', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { exportTimeoutMillis: 5000 });
    const src = source();
    inner.mode = 'hang';
    src.counter.add(1);
    const first = exportOnce(breaker, await src.collect());
    src.counter.add(2);
    const second = await exportOnce(breaker, await src.collect());
    expect(second.error?.message).toContain('still in flight');
    expect(inner.calls).toBe(1);
    inner.mode = 'ok';
    inner.hanging[0]({ code: ExportResultCode.SUCCESS });
    expect((await first).code).toBe(ExportResultCode.SUCCESS);
    await exportOnce(breaker, await src.collect());
    expect(total(inner.received, 'requests')).toBe(2); // the first batch went through the hanging call
    expect(breaker.stats().pendingPoints).toBe(0);
  });

  it('provider.shutdown() with a hanging backend: the last export is bounded by shutdownTimeoutMillis', async () => {
    const inner = new ScriptedExporter(AggregationTemporality.DELTA);
    const breaker = new CircuitBreakerExporter(inner, { exportTimeoutMillis: 30_000, shutdownTimeoutMillis: 700, forceFlushTimeoutMillis: 700 });
    const reader = new PeriodicExportingMetricReader({ exporter: breaker as never, exportIntervalMillis: 60_000 });
    const provider = new FastMeterProvider({ readers: [reader], processors: [breaker] });
    provider.getMeter('m').createCounter('c').add(1);
    inner.mode = 'hang';
    let done = false;
    provider.shutdown().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(699);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(breaker.stats()).toMatchObject({ droppedPoints: 1, failures: { timeout: 1 } });
  });

  it('provider.shutdown() after a failed export does not call the backend again', async () => {
    const inner = new ScriptedExporter(AggregationTemporality.DELTA);
    const breaker = new CircuitBreakerExporter(inner, { failureThreshold: 5 });
    const reader = new PeriodicExportingMetricReader({ exporter: breaker as never, exportIntervalMillis: 1000 });
    const provider = new FastMeterProvider({ readers: [reader], processors: [breaker] });
    const c = provider.getMeter('m').createCounter('c');
    c.add(1);
    inner.mode = 'fail';
    await vi.advanceTimersByTimeAsync(1000);
    const calls = inner.calls;
    c.add(1);
    await provider.shutdown();
    expect(inner.calls).toBe(calls);
    expect(breaker.stats().droppedPoints).toBe(2);
  });
});

describe('as a processor: self-metrics and the series limit', () => {
  it('exports its state, pending and dropped points, and lowers maxNewSeriesPerSecond while open', async () => {
    const inner = new ScriptedExporter();
    const breaker = new CircuitBreakerExporter(inner, { ...NO_JITTER, failureThreshold: 1, name: 'otlp', maxNewSeriesPerSecondWhileOpen: 2 });
    const reader = new TestReader();
    const { meter } = setup({ readers: [reader], processors: [breaker], selfMetrics: true });
    const src = source();
    inner.mode = 'fail';
    src.counter.add(1);
    await exportOnce(breaker, await src.collect());
    expect(await selfMetric(reader, 'fastmeter.breaker.state', { exporter: 'otlp' })).toBe(BreakerState.OPEN);
    expect(await selfMetric(reader, 'fastmeter.breaker.pending_points', { exporter: 'otlp' })).toBe(1);
    expect(await selfMetric(reader, 'fastmeter.breaker.pending_bytes', { exporter: 'otlp' })).toBeGreaterThan(0);
    expect(await selfMetric(reader, 'fastmeter.breaker.failures', { exporter: 'otlp', reason: 'error' })).toBe(1);
    expect(await selfMetric(reader, 'fastmeter.breaker.series_limit_active', { exporter: 'otlp' })).toBe(1);
    // the provider's new series are limited while open
    const c = meter.createCounter('c');
    for (let i = 0; i < 10; i++) c.add(1, { i });
    const out = await points(reader);
    expect(out.c.find(([a]) => a['otel.metric.overflow'] === true)?.[1]).toBe(8);
    inner.mode = 'ok';
    await vi.advanceTimersByTimeAsync(1000);
    expect(breaker.state).toBe(BreakerState.CLOSED);
    expect(await selfMetric(reader, 'fastmeter.breaker.series_limit_active', { exporter: 'otlp' })).toBe(0);
    for (let i = 10; i < 20; i++) c.add(1, { i });
    expect((await points(reader)).c).toHaveLength(2 + 1 + 10);
    expect(await selfMetric(reader, 'fastmeter.breaker.state', { exporter: 'otlp' })).toBe(BreakerState.CLOSED);
    expect(await selfMetric(reader, 'fastmeter.breaker.dropped_points', { exporter: 'otlp' })).toBe(0);
  });
});
