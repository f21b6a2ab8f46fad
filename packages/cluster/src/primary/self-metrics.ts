// fastmeter.cluster.*: the primary's view of the fleet, under the meter
// "fastmeter" like the SDK's own self-metrics. Observable instruments read
// plain counters at collect time: nothing is recorded per message.
import { ValueType } from '@opentelemetry/api';
import type { FastMeterProvider } from '@fastmeter/sdk';
import type { ClusterMetricsStats } from './api.js';

const METER = 'fastmeter';

export function registerClusterSelfMetrics(provider: FastMeterProvider, source: { stats(): ClusterMetricsStats }): void {
  const meter = provider.getMeter(METER);
  const INT = { valueType: ValueType.INT };
  const workers = meter.createObservableUpDownCounter('fastmeter.cluster.workers', {
    ...INT,
    description: 'Cluster worker sessions sending metrics to this primary',
  });
  const series = meter.createObservableUpDownCounter('fastmeter.cluster.series', { ...INT, description: 'Worker series bound to this provider' });
  const syncs = meter.createObservableCounter('fastmeter.cluster.syncs', { ...INT, description: 'Sync messages applied' });
  const bytes = meter.createObservableCounter('fastmeter.cluster.bytes', { ...INT, unit: 'By', description: 'Bytes of sync data received' });
  const dropped = meter.createObservableCounter('fastmeter.cluster.dropped', {
    ...INT,
    description: 'Measurements or series of workers not exported, by reason (queue_full, instrument_limit, unsupported, series_limit, refused, malformed)',
  });
  const timeouts = meter.createObservableCounter('fastmeter.cluster.flush.timeouts', { ...INT, description: 'Workers that did not answer a flush in time' });
  const exited = meter.createObservableCounter('fastmeter.cluster.workers.exited', { ...INT, description: 'Workers whose IPC channel closed' });
  const age = meter.createObservableGauge('fastmeter.cluster.sync.age', { unit: 's', description: 'Time since the least recent sync of a live worker' });
  meter.addBatchObservableCallback(
    result => {
      const s = source.stats();
      result.observe(workers, s.workers.length);
      result.observe(series, s.series);
      result.observe(syncs, s.syncs);
      result.observe(bytes, s.bytes);
      result.observe(timeouts, s.flushTimeouts);
      result.observe(exited, s.exited);
      for (const [reason, n] of Object.entries(s.dropped)) result.observe(dropped, n, { reason });
      if (s.workers.length > 0) result.observe(age, Math.max(...s.workers.map(w => w.age)) / 1000);
    },
    [workers, series, syncs, bytes, dropped, timeouts, exited, age],
  );
}
