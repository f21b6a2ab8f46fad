// Drop-in behaviours found missing by the issue-9 review: options sdk-metrics
// honours and errors code written against sdk-metrics checks for.
import { MetricReader, TimeoutError } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider, TimeoutError as FastTimeoutError } from '@fastmeter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type World, bothRuns, expectConformance, useFakeDate } from './harness.js';

useFakeDate({ beforeAll, afterAll });

const DURATION = 'otel.sdk.metric_reader.collection.duration';

interface Metric {
  descriptor: { name: string; unit: string; description: string; type: string; valueType: number };
  aggregationTemporality: number;
  dataPointType: number;
  dataPoints: { attributes: Record<string, unknown>; value: { count: number; sum: { value: number }; min: number; max: number; buckets: unknown } }[];
}

function durationMetrics(w: World, collection: number): { scope: { name: string; version?: string }; metric: Metric }[] {
  const scopes = w.collections[collection].data.scopes as { scope: { name: string; version?: string }; metrics: Metric[] }[];
  return scopes.flatMap(s => s.metrics.filter(m => m.descriptor.name === DURATION).map(metric => ({ scope: s.scope, metric })));
}

/** What must agree: everything but the measured durations and the process-wide reader counter in otel.component.name. */
function comparable(found: { scope: { name: string; version?: string }; metric: Metric }[]) {
  return found.map(({ scope, metric }) => ({
    scope,
    descriptor: metric.descriptor,
    temporality: metric.aggregationTemporality,
    type: metric.dataPointType,
    points: metric.dataPoints.map(p => ({
      attributes: { ...p.attributes, 'otel.component.name': String(p.attributes['otel.component.name']).replace(/\/\d+$/, '/N') },
      count: p.value.count,
      buckets: p.value.buckets,
      positive: p.value.sum.value >= 0 && p.value.min >= 0 && p.value.max >= p.value.min,
    })),
  }));
}

describe('sdkMetricsEnabled', () => {
  for (const temporality of ['cumulative', 'delta'] as const) {
    it(`sdkMetricsEnabled: true was accepted but ignored: the reader’s collection duration was not exported (${temporality})`, async () => {
      const { sdk, fast } = await bothRuns({ sdkMetricsEnabled: true, readers: [{ temporality }] }, async w => {
        w.meter('app').createCounter('c').add(1);
        for (let i = 0; i < 3; i++) {
          w.advance(10);
          await w.collect();
        }
      });
      const expected = comparable(durationMetrics(sdk, 2));
      expect(expected).toHaveLength(1);
      expect(expected[0].scope.name).toBe('@opentelemetry/sdk-metrics');
      expect(expected[0].descriptor).toMatchObject({ name: DURATION, unit: 's' });
      expect(expected[0].points).toHaveLength(1);
      for (let i = 0; i < 3; i++) expect(comparable(durationMetrics(fast, i))).toEqual(comparable(durationMetrics(sdk, i)));
    });
  }

  it('off (the default), neither exports it', async () => {
    await expectConformance({ sdkMetricsEnabled: false }, async w => {
      w.meter('app').createCounter('c').add(1);
      await w.collect();
      await w.collect();
    });
  });
});

describe('collection timeouts', () => {
  it('a collection timeout rejected with fastmeter’s own TimeoutError, not an instance of sdk-metrics’ TimeoutError', async () => {
    const { sdk, fast } = await bothRuns({}, async w => {
      w.meter('m')
        .createObservableGauge('slow')
        .addCallback(() => new Promise<void>(() => {}));
      const { errors } = await w.collect(0, { timeoutMillis: 10 });
      w.note(errors.map(e => [e instanceof TimeoutError, (e as Error).name, (e as Error).message]));
    });
    expect(sdk.notes).toEqual([[[true, 'Error', 'Operation timed out.']]]);
    expect(fast.notes).toEqual(sdk.notes);
  });

  it('fastmeter exports its own TimeoutError class for environments without sdk-metrics', () => {
    const err = new FastTimeoutError('Operation timed out.');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('TimeoutError');
    expect(FastMeterProvider).toBeDefined();
    expect(MetricReader).toBeDefined();
  });
});
