import type { Health } from '../common/health.js';
import type { IMetricReader, Resource } from '../common/types.js';
import type { AttributeLimits } from '../intern/normalize.js';
import type { SeriesObserverSlot } from '../intern/series.js';
import type { CompiledView } from '../view/view.js';
import type { MeasurementProcessor } from './processor.js';

/** One registered reader: its position is the key of its state in every stream. */
export interface ReaderSlot {
  readonly index: number;
  readonly reader: IMetricReader;
}

/** What every meter of a provider shares. Fixed at construction. */
export interface ProviderState {
  readonly resource: Resource;
  readonly views: readonly CompiledView[];
  readonly readers: readonly ReaderSlot[];
  readonly health: Health;
  readonly limits: AttributeLimits;
  readonly processors: readonly MeasurementProcessor[];
  /** Streams of the meter `fastmeter` (self-metrics): never refused by the new-series rate limit. */
  readonly exemptFromRateLimit?: boolean;
  /** Cumulative eviction: collections without a measurement after which a cumulative series is evicted (0: never). */
  readonly evictIdleCollections: number;
  /** Run at the start of every collection, before observable callbacks (see FastMeterProvider.addCollectHook). */
  readonly collectHooks: CollectHook[];
  /** Companion readers told of new series (see collect/read-seam.ts). */
  readonly seriesObservers: SeriesObserverSlot[];
}

/** Brings measurements recorded elsewhere (another thread, a shared buffer) into the provider's instruments. */
export type CollectHook = () => void | Promise<void>;
