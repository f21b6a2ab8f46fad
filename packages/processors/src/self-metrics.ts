// Self-metrics of the processors, under the meter `fastmeter` (the provider's
// `selfMetrics: true`), read by batch callbacks at collect time: nothing is
// added to the record path. Names: see the README.
import { type Meter, ValueType } from '@opentelemetry/api';
import type { ProcessorHost } from '@fastmeter/sdk';
import type { CircuitBreakerExporter } from './breaker/breaker.js';
import type { AdaptiveSampler } from './sampling/sampler.js';

const INT = { valueType: ValueType.INT } as const;

export function registerSamplerMetrics(host: ProcessorHost, sampler: AdaptiveSampler): void {
  const meter = host.selfMeter as Meter;
  const probability = meter.createObservableGauge('fastmeter.sampler.probability', {
    unit: '1',
    description: 'Probability with which the sampler keeps a histogram record (offered-weighted over the last interval); kept records weigh 1/p.',
  });
  const offered = meter.createObservableCounter('fastmeter.sampler.offered', {
    ...INT,
    unit: '{measurement}',
    description: 'Histogram records offered to the sampler.',
  });
  const kept = meter.createObservableCounter('fastmeter.sampler.kept', { ...INT, unit: '{measurement}', description: 'Histogram records the sampler kept.' });
  const level = meter.createObservableGauge('fastmeter.backpressure.level', {
    ...INT,
    unit: '1',
    description: 'Backpressure level: every sampling budget is divided by 2^level.',
  });
  const active = meter.createObservableGauge('fastmeter.backpressure.active', {
    ...INT,
    unit: '1',
    description: 'Backpressure signals on (1) or off (0), by signal: event_loop_delay, export_queue.',
  });
  const delay = meter.createObservableGauge('fastmeter.backpressure.event_loop_delay', {
    unit: 's',
    description: 'Event-loop delay (p99) over the last sampler interval.',
  });
  meter.addBatchObservableCallback(
    result => {
      const stats = sampler.stats();
      for (const [instrument, s] of Object.entries(stats.instruments)) {
        const attributes = { instrument };
        result.observe(probability, s.probability, attributes);
        result.observe(offered, s.offered, attributes);
        result.observe(kept, s.kept, attributes);
      }
      result.observe(level, stats.pressureLevel);
      for (const [signal, on] of Object.entries(stats.signals)) result.observe(active, on ? 1 : 0, { signal });
      result.observe(delay, stats.eventLoopDelayMillis / 1000);
    },
    [probability, offered, kept, level, active, delay],
  );
}

export function registerBreakerMetrics(host: ProcessorHost, breaker: CircuitBreakerExporter): void {
  const meter = host.selfMeter as Meter;
  const state = meter.createObservableGauge('fastmeter.breaker.state', {
    ...INT,
    unit: '1',
    description: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
  });
  const dropped = meter.createObservableCounter('fastmeter.breaker.dropped_points', {
    ...INT,
    unit: '{point}',
    description: 'Delta data points (export intervals) dropped: past the memory bound, or undelivered at shutdown.',
  });
  const bytes = meter.createObservableGauge('fastmeter.breaker.pending_bytes', {
    ...INT,
    unit: 'By',
    description: 'Delta data held for retry, bytes (estimated).',
  });
  const points = meter.createObservableGauge('fastmeter.breaker.pending_points', {
    ...INT,
    unit: '{point}',
    description: 'Delta data points (export intervals) held for retry.',
  });
  const failures = meter.createObservableCounter('fastmeter.breaker.failures', {
    ...INT,
    unit: '{export}',
    description: 'Exports that failed, by reason: error, timeout.',
  });
  const shortCircuited = meter.createObservableCounter('fastmeter.breaker.short_circuited', {
    ...INT,
    unit: '{export}',
    description: 'Exports answered without touching the network because the circuit was open.',
  });
  const limiting = meter.createObservableGauge('fastmeter.breaker.series_limit_active', {
    ...INT,
    unit: '1',
    description: "1 while this breaker holds the provider's new-series rate limit down (maxNewSeriesPerSecondWhileOpen), else 0.",
  });
  meter.addBatchObservableCallback(
    result => {
      const s = breaker.stats();
      const exporter = { exporter: breaker.name };
      result.observe(state, s.state, exporter);
      result.observe(dropped, s.droppedPoints, exporter);
      result.observe(bytes, s.pendingBytes, exporter);
      result.observe(points, s.pendingPoints, exporter);
      result.observe(failures, s.failures.error, { ...exporter, reason: 'error' });
      result.observe(failures, s.failures.timeout, { ...exporter, reason: 'timeout' });
      result.observe(shortCircuited, s.shortCircuited, exporter);
      result.observe(limiting, s.limitingSeries ? 1 : 0, exporter);
    },
    [state, dropped, bytes, points, failures, shortCircuited, limiting],
  );
}
