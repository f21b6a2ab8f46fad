// A simulated 10-minute backend outage (fake timers) under a steady record
// load, through the real PeriodicExportingMetricReader (10 s interval), two
// breakers (a delta and a cumulative exporter on one provider) and the
// sampler. Checked: zero unhandled rejections, recovery on the first
// successful probe, delta totals exact up to the memory bound and drops
// counted exactly past it, cumulative totals exact, backpressure raised while
// open and released after, and the heap bounded (the figure is printed).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { diag } from '@opentelemetry/api';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AggregationTemporality, FastMeterProvider } from '@fastmeter/sdk';
import { AdaptiveSampler, BreakerState, CircuitBreakerExporter } from '@fastmeter/processors';
import { unhandledRejections } from '../helpers.js';
import { ScriptedExporter, total, valuesOf } from './scripted.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const INTERVAL = 10 * SECOND;

const rejections = unhandledRejections();
beforeEach(() => {
  vi.useFakeTimers();
  rejections.install();
  diag.disable();
});
afterEach(() => {
  vi.useRealTimers();
  expect(rejections.uninstall()).toEqual([]);
});

interface Outcome {
  heapGrowthBytes: number;
  pendingBytesMax: number;
}

async function outage(options: { maxPendingBytes: number; freshSeriesPerInterval: number }): Promise<Outcome> {
  const deltaInner = new ScriptedExporter(AggregationTemporality.DELTA);
  const cumulativeInner = new ScriptedExporter(AggregationTemporality.CUMULATIVE);
  const delta = new CircuitBreakerExporter(deltaInner, { name: 'delta', maxPendingBytes: options.maxPendingBytes });
  const cumulative = new CircuitBreakerExporter(cumulativeInner, { name: 'cumulative' });
  const sampler = new AdaptiveSampler({ budget: 1000, backpressure: { eventLoopDelayMillis: 0 } });
  const provider = new FastMeterProvider({
    processors: [sampler, delta, cumulative],
    readers: [
      new PeriodicExportingMetricReader({ exporter: delta as never, exportIntervalMillis: INTERVAL }),
      new PeriodicExportingMetricReader({ exporter: cumulative as never, exportIntervalMillis: INTERVAL }),
    ],
  });
  const meter = provider.getMeter('service');
  const load = meter.createCounter('load'); // steady: 200 adds per second on one series
  const tick = meter.createCounter('tick'); // +1 per series per interval: a point's value is 1
  const latency = meter.createHistogram('latency');
  let loadTotal = 0;
  let tickPoints = 0;
  let interval = 0;
  // mid-interval, once per interval: the steady series and the fresh ones of this interval
  setTimeout(() => {
    setInterval(() => {
      for (let s = 0; s < 50; s++) tick.add(1, { s });
      for (let f = 0; f < options.freshSeriesPerInterval; f++) tick.add(1, { fresh: `${interval}-${f}` });
      tickPoints += 50 + options.freshSeriesPerInterval;
      interval++;
    }, INTERVAL);
  }, INTERVAL / 2);
  setInterval(() => {
    for (let i = 0; i < 20; i++) {
      load.add(1, { route: '/checkout' });
      latency.record(i);
    }
    loadTotal += 20;
  }, 100);

  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += SECOND) await vi.advanceTimersByTimeAsync(SECOND);
  };
  await advance(MINUTE); // healthy
  expect(delta.state).toBe(BreakerState.CLOSED);
  deltaInner.mode = 'fail';
  cumulativeInner.mode = 'fail';
  await advance(MINUTE);
  expect(delta.state).not.toBe(BreakerState.CLOSED);
  expect(cumulative.state).not.toBe(BreakerState.CLOSED);
  expect(sampler.stats().pressureLevel).toBeGreaterThan(0);
  gc();
  const heapAtOneMinute = process.memoryUsage().heapUsed;
  let pendingBytesMax = 0;
  for (let m = 1; m < 10; m++) {
    await advance(MINUTE);
    pendingBytesMax = Math.max(pendingBytesMax, delta.stats().pendingBytes);
    expect(delta.stats().pendingBytes).toBeLessThanOrEqual(options.maxPendingBytes);
    expect(deltaInner.received).toHaveLength(6); // nothing got through since the outage began
  }
  gc();
  const heapGrowthBytes = process.memoryUsage().heapUsed - heapAtOneMinute;
  expect(sampler.stats().pressureLevel).toBe(4);

  // The backend comes back: the first successful probe closes each circuit and delivers what was held.
  deltaInner.mode = 'ok';
  cumulativeInner.mode = 'ok';
  const callsAtRecovery = deltaInner.calls;
  const failuresAtRecovery = delta.stats().failures.error;
  while (delta.state !== BreakerState.CLOSED) await vi.advanceTimersByTimeAsync(100);
  expect(delta.stats().failures.error).toBe(failuresAtRecovery);
  expect(deltaInner.calls - callsAtRecovery).toBeLessThanOrEqual(2); // held data, then (if it was an export) its batch
  while (cumulative.state !== BreakerState.CLOSED) await vi.advanceTimersByTimeAsync(100);
  await advance(INTERVAL * 2);
  expect(delta.stats().pendingPoints).toBe(0);
  // backpressure released: one level per 3 calm ticks
  expect(sampler.stats().pressureLevel).toBe(0);

  // The load stops; one last export carries the rest.
  vi.clearAllTimers();
  await provider.forceFlush();
  const { droppedPoints } = delta.stats();
  // delta: `load` is touched every interval, never dropped: exact. `tick`: what arrived plus what was dropped is all.
  expect(total(deltaInner.received, 'load')).toBe(loadTotal);
  expect(total(deltaInner.received, 'tick') + droppedPoints).toBe(tickPoints);
  if (options.freshSeriesPerInterval === 0) expect(droppedPoints).toBe(0);
  else expect(droppedPoints).toBeGreaterThan(0);
  // every steady series arrived with all its intervals
  const steady = valuesOf(deltaInner.received).tick;
  for (let s = 0; s < 50; s++) expect((steady[JSON.stringify({ s })] as number[]).reduce((a, b) => a + b, 0)).toBe(interval);
  // cumulative: the last export carries the totals
  const last = cumulativeInner.received[cumulativeInner.received.length - 1];
  expect(total([last], 'load')).toBe(loadTotal);
  expect(total([last], 'tick')).toBe(tickPoints);
  expect(cumulative.stats().droppedPoints).toBe(0);
  await provider.shutdown();
  return { heapGrowthBytes, pendingBytesMax };
}

describe('a 10-minute outage under a steady load', () => {
  it('without churn: delta totals exact, nothing dropped, cumulative exact', async () => {
    const r = await outage({ maxPendingBytes: 4 * 1024 * 1024, freshSeriesPerInterval: 0 });
    console.log(`outage without churn: held at most ${r.pendingBytesMax} B; heap ${(r.heapGrowthBytes / 1024).toFixed(0)} KiB from minute 1 to 10`);
    expect(r.heapGrowthBytes).toBeLessThan(2 * 1024 * 1024);
  }, 120_000);

  it('with 20 new series per interval past a 64 KiB bound: drops counted exactly, heap bounded', async () => {
    const r = await outage({ maxPendingBytes: 64 * 1024, freshSeriesPerInterval: 20 });
    console.log(`outage with churn: held at most ${r.pendingBytesMax} B; heap ${(r.heapGrowthBytes / 1024).toFixed(0)} KiB from minute 1 to 10`);
    expect(r.pendingBytesMax).toBeGreaterThan(32 * 1024);
    expect(r.heapGrowthBytes).toBeLessThan(4 * 1024 * 1024);
  }, 120_000);
});
