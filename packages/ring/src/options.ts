// Options of the ring, validated once (STYLE.md §6: author mistakes fail fast
// with a stable code), and resolved into the numbers the store uses.
import { RingConfigError, RingErrorCode } from './errors.js';

export interface CompressionOptions {
  /** Newest points per series kept plain before they are encoded. Default 4. */
  hotSlots?: number;
  /** Points per compressed chunk; the oldest chunk is dropped whole. Default 128. */
  chunkSlots?: number;
}

export interface RingOptions {
  /** How often the reader collects from its provider, in ms. Default 1000. */
  intervalMillis?: number;
  /** Points held per series (the ring's capacity). Default 300: 5 minutes at 1 s. */
  slots?: number;
  /** Series held at most, all metrics together (overflow series excluded). Default 10,000. */
  maxSeries?: number;
  /** Series per metric and resource before new attribute sets go to the overflow series. Default 2000. */
  cardinalityLimit?: number;
  /** Metric families held at most; points of further metrics are dropped with a warning. Default 1000. */
  maxMetrics?: number;
  /**
   * Keep older points of scalar series compressed (delta-of-delta times, XOR values):
   * ~2-3 bytes per point on counters instead of 12, at a higher query cost. Default false.
   */
  compression?: boolean | CompressionOptions;
  /** Bytes of bucket-delta records one histogram series may hold. Default slots × 128. */
  histogramBytesPerSeries?: number;
  /** Resource attributes that become series labels. Default service.name, service.namespace, service.instance.id. */
  resourceDimensions?: string[];
  /** How far back an instant query looks for a series' latest point, in ms. Default 300,000 (Prometheus' 5 minutes). */
  lookbackMillis?: number;
  /** The clock, in ms since the epoch (tests and simulations). Default Date.now. */
  now?: () => number;
  /**
   * The reader's cardinality limit per instrument, handed to the provider
   * (`selectCardinalityLimit`). Default 2000, the sdk's.
   */
  readerCardinalityLimit?: number;
  /**
   * Self-metrics (`fastmeter.ring.series`, `fastmeter.ring.bytes`, meter `fastmeter`):
   * `true` writes them into the ring itself at each of its collections; a MeterProvider
   * gets observable gauges, so that every reader of that provider exports them. Default off.
   */
  selfMetrics?: boolean | { getMeter(name: string, version?: string): unknown };
}

export interface ResolvedOptions {
  intervalMillis: number;
  slots: number;
  maxSeries: number;
  cardinalityLimit: number;
  maxMetrics: number;
  compression: { hotSlots: number; chunkSlots: number } | null;
  histogramBytesPerSeries: number;
  resourceDimensions: string[];
  lookbackMillis: number;
  now: () => number;
  readerCardinalityLimit: number;
}

function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RingConfigError(RingErrorCode.INVALID_OPTION, `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(options: RingOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'options must be an object');
  }
  const slots = int('slots', options.slots, 300, 2, 65_535);
  let compression: ResolvedOptions['compression'] = null;
  if (options.compression !== undefined && options.compression !== false) {
    const c = options.compression === true ? {} : options.compression;
    if (c === null || typeof c !== 'object') throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'compression must be a boolean or an object');
    const chunkSlots = int('compression.chunkSlots', c.chunkSlots, 128, 8, 4096);
    compression = {
      hotSlots: int('compression.hotSlots', c.hotSlots, 4, 1, chunkSlots),
      chunkSlots,
    };
    if (Math.ceil(slots / chunkSlots) + 2 > 255) {
      throw new RingConfigError(
        RingErrorCode.INVALID_OPTION,
        `compression.chunkSlots ${chunkSlots} is too small for ${slots} slots (at most 253 chunks per series)`,
      );
    }
  }
  const dims = options.resourceDimensions ?? ['service.name', 'service.namespace', 'service.instance.id'];
  if (!Array.isArray(dims) || dims.some(d => typeof d !== 'string')) {
    throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'resourceDimensions must be an array of attribute names');
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'now must be a function returning ms');
  return {
    intervalMillis: int('intervalMillis', options.intervalMillis, 1000, 1, 86_400_000),
    slots,
    maxSeries: int('maxSeries', options.maxSeries, 10_000, 1, 10_000_000),
    cardinalityLimit: int('cardinalityLimit', options.cardinalityLimit, 2000, 1, 10_000_000),
    maxMetrics: int('maxMetrics', options.maxMetrics, 1000, 1, 1_000_000),
    compression,
    histogramBytesPerSeries: int('histogramBytesPerSeries', options.histogramBytesPerSeries, slots * 128, 256, 1 << 30),
    resourceDimensions: [...dims],
    lookbackMillis: int('lookbackMillis', options.lookbackMillis, 300_000, 1, 2 ** 31),
    now,
    readerCardinalityLimit: int('readerCardinalityLimit', options.readerCardinalityLimit, 2000, 1, 10_000_000),
  };
}
