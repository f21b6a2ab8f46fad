// FastPrometheusExporter's classic text against the installed
// @opentelemetry/exporter-prometheus: both readers on one FastMeterProvider
// (same data, same fake clock), the standard bytes from PrometheusSerializer
// over the standard collection, compared byte for byte.
import { ValueType } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FastPrometheusExporter, type FastPrometheusExporterOptions } from '../src/index.js';

beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_700_000_000_123);
});
afterAll(() => vi.useRealTimers());

type Options = Pick<FastPrometheusExporterOptions, 'prefix' | 'appendTimestamp' | 'withResourceConstantLabels' | 'withoutScopeInfo' | 'withoutTargetInfo'>;

const RESOURCE = resourceFromAttributes({ 'service.name': 'svc', 'service.version': '1.2', 'telemetry.sdk.language': 'nodejs', 'host.id': 7 });

function pair(options: Options = {}, views: object[] = []) {
  const fast = new FastPrometheusExporter({ ...options, preventServerStart: true });
  const standard = new PrometheusExporter({ ...options, preventServerStart: true });
  const provider = new FastMeterProvider({ resource: RESOURCE, readers: [fast, standard], views: views as never });
  const serializer = new PrometheusSerializer(
    options.prefix,
    options.appendTimestamp,
    options.withResourceConstantLabels,
    options.withoutTargetInfo,
    options.withoutScopeInfo,
  );
  return {
    provider,
    fast,
    async compare(): Promise<string> {
      const { body } = await fast.scrape();
      const { resourceMetrics } = await standard.collect();
      const expected = serializer.serialize(resourceMetrics);
      expect(body.toString('utf8')).toBe(expected);
      return expected;
    },
  };
}

function record(provider: FastMeterProvider): void {
  const meter = provider.getMeter('app', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  const requests = meter.createCounter('http.requests', { description: 'Requests\nwith "quotes" and \\ back', unit: '{request}' });
  requests.add(3, { method: 'GET', route: '/a', status: 200 });
  requests.add(2, { method: 'POST', route: '/a"b\\c\nd', status: 500 });
  requests.add(1);
  const duration = meter.createHistogram('http.duration', { unit: 'ms' });
  for (const v of [0, 3, 7, 12, 99, 1000, 20_000]) duration.record(v, { route: '/a' });
  duration.record(5, { route: '/b', le: 'x' });
  const inflight = meter.createUpDownCounter('inflight', { valueType: ValueType.INT });
  inflight.add(5, { pool: 'x' });
  inflight.add(-7, { pool: 'y' });
  const temp = meter.createGauge('9temp.celsius');
  temp.record(-3.25, { room: 'a', 'room.id': [1, 2], 'x-y': true });
  temp.record(Number.POSITIVE_INFINITY, { room: 'inf' });
  const other = provider.getMeter('other');
  other.createCounter('http.requests').add(4, { method: 'GET' });
  other.createObservableGauge('queue.depth').addCallback(r => r.observe(11, { q: 'a' }));
  other.createHistogram('exp.hist').record(3);
}

describe('classic text, byte-identical to the installed PrometheusExporter', () => {
  for (const [label, options] of [
    ['defaults', {}],
    ['prefix and timestamps', { prefix: 'my_app', appendTimestamp: true }],
    ['resource constant labels', { withResourceConstantLabels: /service\.|host/ }],
    ['without scope and target info', { withoutScopeInfo: true, withoutTargetInfo: true }],
  ] as [string, Options][]) {
    it(label, async () => {
      const { provider, compare } = pair(options, [{ instrumentName: 'exp.hist', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }]);
      expect(await compare()).toMatch(/# no registered metrics|target_info|# HELP/);
      record(provider);
      await compare();
      record(provider);
      vi.setSystemTime(Date.now() + 1500);
      await compare();
    });
  }

  it('an empty provider', async () => {
    await pair().compare();
    await pair({ withoutTargetInfo: true }).compare();
  });
});

describe('on an sdk-metrics MeterProvider (the fallback path)', () => {
  it('serialises the standard collection to the same bytes', async () => {
    const fast = new FastPrometheusExporter({ preventServerStart: true });
    const standard = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ resource: RESOURCE, readers: [fast as never, standard] });
    provider.getMeter('m').createCounter('c').add(2, { a: 'b' });
    provider.getMeter('m').createHistogram('h').record(7);
    expect(fast.isFastPath).toBe(false);
    const { body } = await fast.scrape();
    const { resourceMetrics } = await standard.collect();
    expect(body.toString()).toBe(new PrometheusSerializer().serialize(resourceMetrics));
  });
});
