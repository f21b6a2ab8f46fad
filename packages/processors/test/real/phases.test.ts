// The circuit breaker with real parts: FastMeterProvider → the real
// PeriodicExportingMetricReader → CircuitBreakerExporter → the real
// OTLPMetricExporter (HTTP JSON, HTTP protobuf, gRPC) → a loopback receiver
// scripted through phases: healthy, HTTP 500, 503 with Retry-After, hanging
// requests, connection resets, slow answers, healthy again. A steady record
// load runs throughout; at the end the delta totals the receiver stored equal
// what was recorded, exactly, and nothing was rejected unhandled.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diag } from '@opentelemetry/api';
import { AggregationTemporality, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter as HttpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as HttpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { FastMeterProvider } from '@fastmeter/sdk';
import { BreakerState, CircuitBreakerExporter, type PushMetricExporter } from '@fastmeter/processors';
import { unhandledRejections } from '../helpers.js';
import { GrpcReceiver, HttpReceiver, type Phase, deltaCount, deltaTotal } from './receiver.js';

const INTERVAL = 250;

/** Polls `condition` every 20 ms; fails with `what` after `ms`. */
async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

const rejections = unhandledRejections();
beforeEach(() => {
  rejections.install();
  diag.disable();
});
afterEach(() => {
  expect(rejections.uninstall()).toEqual([]);
});

type Make = (url: string) => PushMetricExporter;

const transports: { name: string; receiver: () => Promise<HttpReceiver | GrpcReceiver>; exporter: Make }[] = [
  {
    name: 'OTLP/HTTP JSON (exporter-metrics-otlp-http)',
    receiver: () => HttpReceiver.start(),
    exporter: url => new HttpJsonExporter({ url, temporalityPreference: AggregationTemporality.DELTA, timeoutMillis: 600 }) as unknown as PushMetricExporter,
  },
  {
    name: 'OTLP/HTTP protobuf (exporter-metrics-otlp-proto)',
    receiver: () => HttpReceiver.start(),
    exporter: url => new HttpProtoExporter({ url, temporalityPreference: AggregationTemporality.DELTA, timeoutMillis: 600 }) as unknown as PushMetricExporter,
  },
  {
    name: 'OTLP/gRPC (exporter-metrics-otlp-grpc)',
    receiver: () => GrpcReceiver.start(),
    exporter: url => new GrpcExporter({ url, temporalityPreference: AggregationTemporality.DELTA, timeoutMillis: 600 }) as unknown as PushMetricExporter,
  },
];

describe.each(transports)('CircuitBreakerExporter around the real $name', ({ receiver: startReceiver, exporter: makeExporter }) => {
  it('goes through healthy, 500, 503 + Retry-After, hanging, resets, slow and healthy again with exact delta totals', async () => {
    const receiver = await startReceiver();
    // The exporter's own timeout (600 ms, retries included) is below the breaker's: the exporter's answer
    // decides, and the breaker's timeout is the backstop (an export it gave up on could still arrive later).
    const breaker = new CircuitBreakerExporter(makeExporter(receiver.url), {
      name: 'otlp',
      failureThreshold: 2,
      exportTimeoutMillis: 1500,
      backoff: { initialMillis: 300, maxMillis: 900, multiplier: 2, jitter: 0.2 },
    });
    const reader = new PeriodicExportingMetricReader({ exporter: breaker as never, exportIntervalMillis: INTERVAL, exportTimeoutMillis: INTERVAL });
    // the reader's own timeout (250 ms) is shorter than the breaker's: the breaker keeps counting after the reader gave up
    const provider = new FastMeterProvider({ readers: [reader], processors: [breaker], selfMetrics: true });
    const meter = provider.getMeter('shop');
    const requests = meter.createCounter('http.requests');
    const latency = meter.createHistogram('http.latency', { unit: 'ms' });
    let recorded = 0;
    const load = setInterval(() => {
      for (let i = 0; i < 20; i++) {
        requests.add(1, { route: `/r${i % 5}` });
        latency.record(i * 3);
        recorded++;
      }
    }, 5);
    const phase = async (p: Phase, done: () => boolean, what: string) => {
      receiver.phase = p;
      await until(done, `${p}: ${what}`);
    };
    try {
      await phase('healthy', () => receiver.accepted.length >= 2, 'two exports accepted');
      await phase('error500', () => breaker.state === BreakerState.OPEN, 'open after two 500s');
      const seenWhenOpened = receiver.seen.length;
      const shortBefore = breaker.stats().shortCircuited;
      await until(() => breaker.stats().shortCircuited > shortBefore, 'an export failed fast while open');
      // while open, only probes reach the network: at most one request per backoff
      expect(receiver.seen.length - seenWhenOpened).toBeLessThanOrEqual(2);
      await phase('unavailable', () => receiver.requestsIn('unavailable') >= 1 && breaker.state === BreakerState.OPEN, 'a 503 probe failed');
      const failures = () => breaker.stats().failures.error + breaker.stats().failures.timeout;
      const before = failures();
      await phase('hang', () => receiver.requestsIn('hang') >= 1 && failures() > before, 'a hanging request failed');
      await phase('reset', () => receiver.requestsIn('reset') >= 1 && breaker.state === BreakerState.OPEN, 'a reset probe failed');
      expect(breaker.stats().pendingPoints).toBeGreaterThan(0); // delta data held through all of it
      const acceptedBefore = receiver.accepted.length;
      await phase('slow', () => breaker.state === BreakerState.CLOSED && receiver.accepted.length > acceptedBefore, 'closed after a slow success');
      await phase('healthy', () => breaker.stats().pendingPoints === 0 && receiver.accepted.length > acceptedBefore + 2, 'held data delivered');
    } finally {
      clearInterval(load);
    }
    await provider.forceFlush();
    await until(() => breaker.stats().pendingPoints === 0 && breaker.state === BreakerState.CLOSED, 'final flush delivered');
    expect(breaker.stats().droppedPoints).toBe(0);
    expect(deltaTotal(receiver.accepted, 'http.requests')).toBe(recorded);
    expect(deltaCount(receiver.accepted, 'http.latency')).toBe(recorded);
    expect(receiver.errors).toEqual([]);
    const stats = breaker.stats();
    expect(stats.failures.error).toBeGreaterThanOrEqual(5);
    const started = Date.now();
    await provider.shutdown();
    expect(Date.now() - started).toBeLessThan(3000);
    await receiver.close();
  }, 90_000);
});
