import type { MetricCollectOptions, MetricData, MetricProducer, CollectionResult, ScopeMetrics } from '../common/types.js';
import { millisToHrTime } from '../common/time.js';
import type { FastMeter } from '../api/meter.js';
import type { ProviderState } from '../api/state.js';

/**
 * The MetricProducer handed to one reader (`reader.setMetricProducer`). A
 * collection runs every observable callback of every meter, then reads each
 * stream this reader is bound to. All points of one collection share `endTime`.
 */
export class ReaderProducer implements MetricProducer {
  constructor(
    private readonly _state: ProviderState,
    private readonly _meters: ReadonlyMap<string, FastMeter>,
    private readonly _readerIndex: number,
  ) {}

  async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    const collectionMs = Date.now();
    const endTime = millisToHrTime(collectionMs);
    const errors: unknown[] = [];
    for (const hook of this._state.collectHooks) {
      try {
        await hook();
      } catch (err) {
        errors.push(err);
      }
    }
    const meters = Array.from(this._meters.values());
    await Promise.all(meters.map(meter => meter.callbacks.observe(collectionMs, options?.timeoutMillis, errors)));
    const scopeMetrics: ScopeMetrics[] = [];
    for (const meter of meters) {
      const metrics: MetricData[] = [];
      for (const stream of meter.streams.all()) {
        const data = stream.collect(this._readerIndex, collectionMs, endTime);
        if (data !== undefined) metrics.push(data);
      }
      if (metrics.length > 0) scopeMetrics.push({ scope: meter.scope, metrics });
    }
    return { resourceMetrics: { resource: this._state.resource, scopeMetrics }, errors };
  }
}
