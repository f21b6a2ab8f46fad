// Provider lifecycle: forceFlush, shutdown (once; a second call warns),
// getMeter after shutdown (a no-op meter), collecting after shutdown, the
// provider without readers, and the push path (PeriodicExportingMetricReader).
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { IMPLS, RESOURCE, T0, type World, expectConformance, useFakeDate } from './harness.js';
import { describeDifferences, normaliseCollection } from './normalise.js';

useFakeDate({ beforeAll, afterAll });

const messages: string[] = [];
beforeAll(() => {
  const log = (message: string) => messages.push(message);
  diag.setLogger({ error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
});
afterAll(() => diag.disable());
beforeEach(() => {
  messages.length = 0;
});

/** The lifecycle diagnostics both SDKs emit with the same text (fastmeter's other warnings are its own). */
const LIFECYCLE = [
  'shutdown may only be called once per MeterProvider',
  'invalid attempt to force flush after MeterProvider shutdown',
  'A shutdown MeterProvider cannot provide a Meter',
];

function lifecycleMessages(): string[] {
  const out = messages.filter(m => LIFECYCLE.includes(m));
  messages.length = 0;
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('lifecycle', () => {
  it('forceFlush flushes every reader, shutdown shuts every reader down once', async () => {
    await expectConformance({ readers: [{}, { temporality: 'delta' }] }, async (w: World) => {
      const c = w.meter('lifecycle').createCounter('c');
      c.add(1);
      await w.provider.forceFlush();
      await w.provider.forceFlush({ timeoutMillis: 1000 });
      w.note({ flushes: w.readers.map(r => r.forceFlushes), messages: lifecycleMessages() });
      w.advance(10);
      await w.collectAll();
      await w.provider.shutdown();
      await w.provider.shutdown();
      w.note({ shutdowns: w.readers.map(r => r.shutdowns), messages: lifecycleMessages() });
      await w.provider.forceFlush();
      w.note({ flushesAfterShutdown: w.readers.map(r => r.forceFlushes), messages: lifecycleMessages() });
      w.note({ collectAfterShutdown: await rejection(w.readers[0].collect()) });
    });
  });

  it('getMeter after shutdown returns a no-op meter', async () => {
    await expectConformance({}, async (w: World) => {
      const before = w.meter('before');
      before.createCounter('kept').add(1);
      await w.provider.shutdown();
      const after = w.meter('after');
      const counter = after.createCounter('ignored');
      counter.add(1);
      w.note({ meter: after.constructor.name, counter: counter.constructor.name, messages: lifecycleMessages() });
    });
  });

  it('recording after shutdown neither throws nor exports', async () => {
    await expectConformance({}, async (w: World) => {
      const c = w.meter('m').createCounter('c');
      const g = w.meter('m').createObservableGauge('g');
      g.addCallback(r => r.observe(1));
      c.add(1);
      w.advance(10);
      await w.collect();
      await w.provider.shutdown();
      c.add(2);
      w.note({ collect: await rejection(w.readers[0].collect()) });
    });
  });

  it('a provider without readers records nothing and collects nothing', async () => {
    await expectConformance({ readers: [] }, async (w: World) => {
      const m = w.meter('no-readers');
      m.createCounter('c').add(1);
      m.createHistogram('h').record(1);
      m.createObservableGauge('g').addCallback(r => r.observe(1));
      await w.provider.forceFlush();
      await w.provider.shutdown();
      w.note({ messages: lifecycleMessages() });
    });
  });

  it('the same meter is returned for the same name, version and schema URL', async () => {
    await expectConformance({}, async (w: World) => {
      const p = w.provider;
      w.note({
        same: p.getMeter('a') === p.getMeter('a', ''),
        sameVersion: p.getMeter('a', '1') === p.getMeter('a', '1', {}),
        differentVersion: p.getMeter('a', '1') === p.getMeter('a', '2'),
        differentSchema: p.getMeter('a', '1', { schemaUrl: 'x' }) === p.getMeter('a', '1'),
        sameSchema: p.getMeter('a', '1', { schemaUrl: 'x' }) === p.getMeter('a', '1', { schemaUrl: 'x' }),
      });
    });
  });
});

describe('push export through PeriodicExportingMetricReader', () => {
  it('forceFlush and shutdown export the same data to an InMemoryMetricExporter', async () => {
    const exported: Record<string, unknown[]> = {};
    for (const impl of IMPLS) {
      vi.setSystemTime(T0);
      const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
      const options = { resource: RESOURCE, readers: [reader] };
      const provider = impl === 'sdk-metrics' ? new MeterProvider(options) : new FastMeterProvider(options);
      const m = provider.getMeter('push', '1.0.0');
      const c = m.createCounter('requests');
      const h = m.createHistogram('latency', { unit: 'ms' });
      m.createObservableGauge('temperature').addCallback(r => r.observe(21.5, { room: 'a' }));
      c.add(2, { route: '/a' });
      h.record(12, { route: '/a' });
      vi.setSystemTime(T0 + 1000);
      await provider.forceFlush();
      c.add(3, { route: '/b' });
      vi.setSystemTime(T0 + 2000);
      await provider.shutdown();
      exported[impl] = exporter.getMetrics().map((rm: ResourceMetrics) => normaliseCollection({ resourceMetrics: rm, errors: [] }));
    }
    expect(exported['sdk-metrics']).toHaveLength(2);
    expect(describeDifferences(exported['sdk-metrics'], exported.fastmeter)).toEqual([]);
  });
});
