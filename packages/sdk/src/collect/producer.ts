import type { MetricCollectOptions, MetricData, MetricProducer, CollectionResult, ScopeMetrics } from '../common/types.js';
import { millisToHrTime } from '../common/time.js';
import { loadTimeoutErrorClass } from './timeout.js';
import type { FastMeter } from '../api/meter.js';
import type { ProviderState } from '../api/state.js';
import { READ_SEAM, ReadSeam } from './read-seam.js';
import type { MetricStream } from './stream.js';

/**
 * The MetricProducer handed to one reader (`reader.setMetricProducer`). A
 * collection runs every observable callback of every meter, then reads each
 * stream this reader is bound to. All points of one collection share `endTime`.
 * Its read seam (read-seam.ts) lets fastmeter's own exporters skip the objects.
 */
export class ReaderProducer implements MetricProducer {
  readonly [READ_SEAM]: ReadSeam;

  constructor(state: ProviderState, meters: ReadonlyMap<string, FastMeter>, readerIndex: number) {
    this[READ_SEAM] = new ReadSeam(state, meters, readerIndex);
  }

  async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    if (options?.timeoutMillis != null) await loadTimeoutErrorClass();
    const seam = this[READ_SEAM];
    const collectionMs = Date.now();
    const endTime = millisToHrTime(collectionMs);
    const { errors, scopes } = await seam.begin(collectionMs, options?.timeoutMillis);
    const scopeMetrics: ScopeMetrics[] = [];
    for (const { scope, streams } of scopes) {
      const metrics: MetricData[] = [];
      for (const stream of streams) {
        const data = (stream as MetricStream).collect(seam.readerIndex, collectionMs, endTime);
        if (data !== undefined) metrics.push(data);
      }
      if (metrics.length > 0) scopeMetrics.push({ scope, metrics });
    }
    return { resourceMetrics: { resource: seam.resource, scopeMetrics }, errors };
  }
}
