// fastmeter's own metrics, exported under the meter "fastmeter" like any other
// meter when the provider is created with `selfMetrics: true`. They are plain
// integer counters kept by Health and the series tables, read by one batch
// callback at collect time: nothing is added to the record path.
import { type Meter, ValueType } from '@opentelemetry/api';
import type { Health } from '../common/health.js';
import type { MetricStream } from '../collect/stream.js';

export const SELF_METER_NAME = 'fastmeter';

export function registerSelfMetrics(meter: Meter, health: Health, streams: () => Iterable<MetricStream>): void {
  const int = { valueType: ValueType.INT };
  const dropped = meter.createObservableCounter('fastmeter.measurements.dropped', {
    ...int,
    unit: '{measurement}',
    description: 'Measurements dropped because of bad input, by reason.',
  });
  const attributesDropped = meter.createObservableCounter('fastmeter.attributes.dropped', {
    ...int,
    unit: '{attribute}',
    description: 'Attributes removed (or truncated) from accepted measurements, by reason.',
  });
  const overflowed = meter.createObservableCounter('fastmeter.measurements.overflowed', {
    ...int,
    unit: '{measurement}',
    description: 'Measurements aggregated into the overflow series (cardinality limit, new-series rate limit or intern budget).',
  });
  const truncated = meter.createObservableCounter('fastmeter.measurements.truncated', {
    ...int,
    unit: '{measurement}',
    description: 'Fractional values given to INT instruments, recorded truncated.',
  });
  const created = meter.createObservableCounter('fastmeter.series.created', { ...int, unit: '{series}', description: 'Series created.' });
  const released = meter.createObservableCounter('fastmeter.series.released', {
    ...int,
    unit: '{series}',
    description: 'Series released, by reason (reclaimed: idle delta series; evicted: idle cumulative series; removed: removeSeries()).',
  });
  const refused = meter.createObservableCounter('fastmeter.series.refused', {
    ...int,
    unit: '{series}',
    description: 'New series refused by the new-series rate limit or the intern budget, by reason.',
  });
  const live = meter.createObservableUpDownCounter('fastmeter.series.live', {
    ...int,
    unit: '{series}',
    description: 'Series currently held by all streams (including overflow series).',
  });
  const internPaths = meter.createObservableUpDownCounter('fastmeter.intern.paths', {
    ...int,
    unit: '{path}',
    description: 'Entries in the attribute intern tables (one per canonical attribute set, plus cached caller key orders).',
  });
  meter.addBatchObservableCallback(
    result => {
      for (const reason in health.dropped) result.observe(dropped, health.dropped[reason], { reason });
      for (const reason in health.attributesDropped) result.observe(attributesDropped, health.attributesDropped[reason], { reason });
      for (const reason in health.seriesReleased) result.observe(released, health.seriesReleased[reason], { reason });
      for (const reason in health.seriesRefused) result.observe(refused, health.seriesRefused[reason], { reason });
      result.observe(overflowed, health.overflowed);
      result.observe(truncated, health.truncated);
      result.observe(created, health.seriesCreated);
      result.observe(internPaths, health.internPaths);
      let n = 0;
      for (const stream of streams()) n += stream.series.live + (stream.series.overflowSid >= 0 ? 1 : 0);
      result.observe(live, n);
    },
    [dropped, attributesDropped, overflowed, truncated, created, released, refused, live, internPaths],
  );
}
