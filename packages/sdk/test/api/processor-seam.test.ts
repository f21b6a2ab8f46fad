// The measurement-processor seam used by @fastmeter/processors: weighted
// records (a kept sample that stands for `weight` measurements) and the
// provider host (self-metrics meter, new-series rate limit, detach at shutdown).
import type { Attributes } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { AggregationType, type MeasurementProcessor, type ProcessorHost, type WeightedRecordFunction, bind } from '@fastmeter/sdk';
import { deltaReader, points, setup } from '../helpers.js';

/** Records every measurement with weight 4 through the weighted entry. */
const times4: MeasurementProcessor = {
  wrap:
    (_instrument, _next, { recordWeighted }) =>
    (value, attributes, context) =>
      recordWeighted(value, 4, attributes, context),
};

describe('ProcessorContext.recordWeighted', () => {
  it('explicit-bucket histogram: count and bucket += weight, sum += value × weight, min/max of the values', async () => {
    const { meter, reader } = setup({ processors: [times4] });
    const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [10, 100] } });
    h.record(5, { k: 'a' });
    h.record(50, { k: 'a' });
    h.record(500, { k: 'a' });
    const out = await points(reader);
    expect(out.h).toEqual([[{ k: 'a' }, { count: 12, sum: 2220, min: 5, max: 500, buckets: { boundaries: [10, 100], counts: [4, 4, 4] } }]]);
  });

  it('exponential histogram, delta reader', async () => {
    const reader = deltaReader();
    const { meter } = setup({
      processors: [times4],
      readers: [reader],
      views: [{ instrumentName: 'e', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const e = meter.createHistogram('e');
    e.record(1);
    e.record(0);
    e.record(3);
    const [[, value]] = (await points(reader)).e as [unknown, { count: number; sum: number; zeroCount: number; min: number; max: number }][];
    expect(value).toMatchObject({ count: 12, sum: 16, zeroCount: 4, min: 0, max: 3 });
    e.record(2);
    const [[, second]] = (await points(reader)).e as [unknown, { count: number; sum: number }][];
    expect(second).toMatchObject({ count: 4, sum: 8 });
  });

  it('sum and last-value views on a histogram, several streams at once', async () => {
    const { meter, reader } = setup({
      processors: [times4],
      views: [
        { instrumentName: 'h', name: 'h.sum', aggregation: { type: AggregationType.SUM } },
        { instrumentName: 'h', name: 'h.last', aggregation: { type: AggregationType.LAST_VALUE } },
        { instrumentName: 'h', name: 'h.only_k', attributesProcessors: [] },
      ],
    });
    const h = meter.createHistogram('h');
    h.record(3, { k: 'a' });
    h.record(7, { k: 'a' });
    const out = await points(reader);
    expect(out['h.sum']).toEqual([[{ k: 'a' }, 40]]);
    expect(out['h.last']).toEqual([[{ k: 'a' }, 7]]);
    expect((out['h.only_k'][0][1] as { count: number }).count).toBe(8);
  });

  it('applies the value check and ignores weights that are not positive and finite', async () => {
    let weighted: WeightedRecordFunction | undefined;
    const capture: MeasurementProcessor = {
      wrap: (_i, next, ctx) => {
        weighted = ctx.recordWeighted;
        return next;
      },
    };
    const { meter, reader } = setup({ processors: [capture] });
    meter.createHistogram('h');
    const record = weighted as WeightedRecordFunction;
    record(-1, 2);
    record(Number.NaN, 2);
    record(1, 0);
    record(1, -2);
    record(1, Number.POSITIVE_INFINITY);
    record(1, Number.NaN);
    record(2, 8);
    const out = await points(reader);
    expect((out.h[0][1] as { count: number; sum: number }).count).toBe(8);
    expect((out.h[0][1] as { count: number; sum: number }).sum).toBe(16);
  });

  it('bound handles get a weighted entry that writes the bound series and stops at unbind()', async () => {
    const { meter, reader } = setup({ processors: [times4] });
    const handle = bind(meter.createHistogram('h'), { k: 'b' });
    handle.record(2);
    handle.unbind();
    handle.record(2);
    const out = await points(reader);
    expect(out.h).toEqual([[{ k: 'b' }, expect.objectContaining({ count: 4, sum: 8 })]]);
  });

  it('counters record value × weight', async () => {
    const { meter, reader } = setup({ processors: [times4] });
    meter.createCounter('c').add(3);
    expect((await points(reader)).c).toEqual([[{}, 12]]);
  });
});

describe('neverThrows', () => {
  it('a processor that contains its own errors gets its record function used as is; others are guarded', () => {
    const returned: Function[] = [];
    const processor = (neverThrows: boolean): MeasurementProcessor => ({
      neverThrows,
      wrap: (_i, next) => {
        const fn = (value: number, attributes?: Attributes) => next(value, attributes);
        returned.push(fn);
        return fn;
      },
    });
    const trusted = setup({ processors: [processor(true)] }).meter.createHistogram('h');
    expect(trusted.record).toBe(returned[0]);
    const guarded = setup({ processors: [processor(false)] }).meter.createHistogram('h');
    expect(guarded.record).not.toBe(returned[1]);
  });
});

describe('ProcessorHost', () => {
  function capturing(): { processor: MeasurementProcessor; host: () => ProcessorHost; detached: () => number } {
    let host: ProcessorHost | undefined;
    let detached = 0;
    return {
      processor: {
        wrap: (_i, next) => next,
        attach(h) {
          host = h;
          return () => {
            detached++;
          };
        },
      },
      host: () => host as ProcessorHost,
      detached: () => detached,
    };
  }

  it('gives the self-metrics meter only with selfMetrics: true', async () => {
    const off = capturing();
    setup({ processors: [off.processor] });
    expect(off.host().selfMeter).toBeUndefined();
    const on = capturing();
    const { reader } = setup({ processors: [on.processor], selfMetrics: true });
    on.host()
      .selfMeter?.createObservableGauge('fastmeter.test')
      .addCallback(r => r.observe(1));
    const { resourceMetrics } = await reader.collect();
    const scope = resourceMetrics.scopeMetrics.find(s => s.metrics.some(m => m.descriptor.name === 'fastmeter.test'));
    expect(scope?.scope.name).toBe('fastmeter');
  });

  it('limitNewSeries: the lowest of the configured limit and every source, withdrawn by undefined', async () => {
    const p = capturing();
    const { meter, reader } = setup({ processors: [p.processor], maxNewSeriesPerSecond: 100 });
    const host = p.host();
    expect(host.maxNewSeriesPerSecond).toBe(100);
    const a = {};
    const b = {};
    host.limitNewSeries(a, 50);
    host.limitNewSeries(b, 1);
    expect(host.maxNewSeriesPerSecond).toBe(1);
    const c = meter.createCounter('c');
    for (let i = 0; i < 5; i++) c.add(1, { i });
    const out = await points(reader);
    expect(out.c).toEqual([
      [{ i: 0 }, 1],
      [{ 'otel.metric.overflow': true }, 4],
    ]);
    host.limitNewSeries(b, undefined);
    expect(host.maxNewSeriesPerSecond).toBe(50);
    host.limitNewSeries(a, undefined);
    expect(host.maxNewSeriesPerSecond).toBe(100);
  });

  it("fastmeter's own metrics get their series even while the new-series limit is 0", async () => {
    const p = capturing();
    const { meter, reader } = setup({ processors: [p.processor], selfMetrics: true });
    p.host().limitNewSeries(p, 0);
    meter.createCounter('c').add(1, { k: 'v' });
    const out = await points(reader);
    expect(out.c).toEqual([[{ 'otel.metric.overflow': true }, 1]]);
    expect(out['fastmeter.series.refused']).toEqual([[{ reason: 'rate_limit' }, 1]]);
    expect(out['fastmeter.measurements.overflowed']).toEqual([[{}, 1]]);
  });

  it('without a configured limit, withdrawing every source removes the limit', () => {
    const p = capturing();
    setup({ processors: [p.processor] });
    const host = p.host();
    expect(host.maxNewSeriesPerSecond).toBe(Number.POSITIVE_INFINITY);
    host.limitNewSeries(p, 10);
    expect(host.maxNewSeriesPerSecond).toBe(10);
    host.limitNewSeries(p, undefined);
    expect(host.maxNewSeriesPerSecond).toBe(Number.POSITIVE_INFINITY);
  });

  it('calls the detach function once at shutdown; an attach that throws is not fatal', async () => {
    const p = capturing();
    const throwing: MeasurementProcessor = {
      wrap: (_i, next) => next,
      attach() {
        throw new Error('attach failed');
      },
    };
    const { provider, meter, reader } = setup({ processors: [throwing, p.processor] });
    meter.createCounter('c').add(1);
    expect((await points(reader)).c).toEqual([[{}, 1]]);
    await provider.shutdown();
    await provider.shutdown();
    expect(p.detached()).toBe(1);
  });
});
