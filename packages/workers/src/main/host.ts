import { ErrorCode, FastMeterConfigError, type FastMeterProvider } from '@fastmeter/sdk';
import {
  H_BUSY,
  H_CLOSED,
  H_JOINS,
  H_NEXT_INST,
  H_NEXT_SERIES,
  H_NO_INSTRUMENT,
  H_NO_LANE,
  H_OVERFLOWED,
  H_PARTIAL,
  type LayoutConfig,
} from '../common/layout.js';
import { SharedMemory, type WorkerMetricsHandle } from '../common/memory.js';
import { Warnings } from '@fastmeter/sdk/internal';
import { Catalog } from './catalog.js';
import { Collector } from './collector.js';

export interface WorkerMetricsOptions {
  /** Threads that may record at the same time (one lane each). Default 16. */
  maxThreads?: number;
  /** Distinct instruments across all workers. Default 256. */
  maxInstruments?: number;
  /** Series across all instruments (overflow series included). Default 16384. */
  maxSeries?: number;
  /** Series per instrument, its overflow series included, as the core's cardinality limit. Default 2000. */
  cardinalityLimit?: number;
  /** Value words (8 bytes) per lane: a counter series takes 2, a gauge 8, a histogram 10 + 2 × buckets. Default maxSeries × 16. */
  laneWords?: number;
  /** Bytes for encoded attribute sets and instrument names. Default maxSeries × 128. */
  arenaBytes?: number;
  /**
   * Adds the recording thread's id under this attribute key (e.g. `'thread.id'`), so each
   * thread exports its own series. Off by default: threads share series. Attributes that already
   * have the key keep their value (one series for all threads, with a warning).
   */
  threadAttribute?: string;
}

export interface WorkerMetricsStats {
  /** Lanes owned by a live thread, released and not yet drained, and in all. */
  readonly lanes: { readonly active: number; readonly released: number; readonly capacity: number };
  /** Threads that joined (lanes claimed) since the start. */
  readonly joins: number;
  /** Lanes drained after their thread left. */
  readonly drained: number;
  readonly instruments: number;
  readonly series: number;
  /** Series creations sent to the overflow series (cardinality limit or capacity). */
  readonly overflowed: number;
  /** Measurements dropped because another thread held the set being created for over 1 s. */
  readonly busy: number;
  /** Worker providers created without a lane (no-op), instruments not registered (table full). */
  readonly noLane: number;
  readonly noInstrument: number;
  /** Writes found in flight in the lane of a thread that died. */
  readonly partialWrites: number;
  /** Histogram or gauge copies left for the next collection because a write was in flight. */
  readonly deferred: number;
  /**
   * Histogram measurements from workers the main provider refused: its stream of the instrument
   * has other buckets (the main thread registered it first with other advice, or a view).
   */
  readonly refused: number;
}

/** Something that tells when its thread ended: a `Worker`, or a pool's worker object. */
export interface TrackableWorker {
  readonly threadId: number;
  once(event: 'exit', listener: (...args: any[]) => void): unknown;
}

export interface WorkerMetrics {
  /** Pass to every worker (`workerData` or `postMessage`); give it to `createWorkerMeterProvider` there. */
  readonly handle: WorkerMetricsHandle;
  /**
   * Reclaims the worker's lane when it exits, however it exits (`terminate()`, an
   * uncaught error): what it recorded is collected first. Call it right after
   * `new Worker(...)`. Workers that end normally release their lane themselves.
   * Tracking a worker twice is harmless.
   */
  track(worker: TrackableWorker): void;
  /** The same as the 'exit' event of a tracked worker, for pools that report ended thread ids. Only for threads that have ended. */
  release(threadId: number): void;
  /** Pulls what the workers recorded into the provider's instruments now (every reader collection does this first). */
  collect(): void;
  stats(): WorkerMetricsStats;
  /** Stops pulling (a last pull first). Workers keep recording harmlessly. */
  close(): void;
}

function intOption(options: WorkerMetricsOptions, name: keyof WorkerMetricsOptions, fallback: number, min: number, max: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `attachWorkerMetrics: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function layoutConfig(options: WorkerMetricsOptions): LayoutConfig {
  const maxSeries = intOption(options, 'maxSeries', 16384, 1, 1 << 24);
  const config: LayoutConfig = {
    maxLanes: intOption(options, 'maxThreads', 16, 1, 1024),
    maxInstruments: intOption(options, 'maxInstruments', 256, 1, 1 << 16),
    maxSeries,
    cardinalityLimit: intOption(options, 'cardinalityLimit', 2000, 2, 1 << 24),
    laneWords: intOption(options, 'laneWords', Math.max(4096, maxSeries * 16), 64, 1 << 27),
    arenaBytes: intOption(options, 'arenaBytes', Math.max(65536, maxSeries * 128), 1024, 1 << 30),
  };
  if (config.maxLanes * config.laneWords * 8 > 2 ** 32) {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, 'attachWorkerMetrics: maxThreads × laneWords × 8 bytes must stay within 4 GiB');
  }
  return config;
}

class WorkerMetricsImpl implements WorkerMetrics {
  readonly handle: WorkerMetricsHandle;
  private readonly _memory: SharedMemory;
  private readonly _catalog: Catalog;
  private readonly _collector: Collector;
  private readonly _unhook: () => void;
  private readonly _tracked = new WeakSet<object>();
  private _closed = false;

  constructor(provider: FastMeterProvider, options: WorkerMetricsOptions) {
    const threadAttribute = options.threadAttribute;
    if (threadAttribute !== undefined && (typeof threadAttribute !== 'string' || threadAttribute === '')) {
      throw new FastMeterConfigError(
        ErrorCode.INVALID_OPTION,
        `attachWorkerMetrics: threadAttribute must be a non-empty string, got ${String(threadAttribute)}`,
      );
    }
    this._memory = SharedMemory.create(layoutConfig(options));
    this.handle = this._memory.handle();
    const warnings = new Warnings();
    this._catalog = new Catalog(this._memory, provider, warnings);
    this._collector = new Collector(this._memory, this._catalog, threadAttribute ?? null, warnings);
    this._unhook = provider.addCollectHook(() => this.collect());
  }

  track(worker: TrackableWorker): void {
    const threadId = worker?.threadId;
    if (typeof threadId !== 'number' || threadId < 0 || typeof worker.once !== 'function') {
      throw new FastMeterConfigError(
        ErrorCode.INVALID_OPTION,
        'track(worker) needs a running Worker (its threadId is read now: call it right after new Worker())',
      );
    }
    if (this._tracked.has(worker)) return;
    this._tracked.add(worker);
    worker.once('exit', () => this.release(threadId));
  }

  release(threadId: number): void {
    if (this._closed) return;
    const { control, layout } = this._memory;
    for (let lane = 0; lane < layout.config.maxLanes; lane++) {
      const state = Atomics.load(control, layout.lanes + lane);
      if (state === threadId + 1 || state === -(threadId + 1)) this._collector.drain(lane);
    }
  }

  collect(): void {
    if (!this._closed) this._collector.pull();
  }

  stats(): WorkerMetricsStats {
    const { control: c, layout } = this._memory;
    let active = 0;
    let released = 0;
    for (let lane = 0; lane < layout.config.maxLanes; lane++) {
      const state = Atomics.load(c, layout.lanes + lane);
      if (state > 0) active++;
      else if (state < 0) released++;
    }
    return {
      lanes: { active, released, capacity: layout.config.maxLanes },
      joins: Atomics.load(c, H_JOINS),
      drained: this._collector.drained,
      instruments: Math.min(Atomics.load(c, H_NEXT_INST), layout.config.maxInstruments),
      series: Math.min(Atomics.load(c, H_NEXT_SERIES), layout.config.maxSeries),
      overflowed: Atomics.load(c, H_OVERFLOWED),
      busy: Atomics.load(c, H_BUSY),
      noLane: Atomics.load(c, H_NO_LANE),
      noInstrument: Atomics.load(c, H_NO_INSTRUMENT),
      partialWrites: Atomics.load(c, H_PARTIAL),
      deferred: this._collector.deferred,
      refused: this._collector.refused,
    };
  }

  close(): void {
    if (this._closed) return;
    this.collect();
    this._closed = true;
    this._unhook();
    Atomics.store(this._memory.control, H_CLOSED, 1);
  }
}

/**
 * The main side: shared memory for worker threads' instruments, pulled into
 * `provider`'s ordinary instruments at the start of every collection.
 *
 * ```js
 * const workers = attachWorkerMetrics(provider);
 * const worker = new Worker('./job.mjs', { workerData: { metrics: workers.handle } });
 * workers.track(worker);
 * ```
 */
export function attachWorkerMetrics(provider: FastMeterProvider, options: WorkerMetricsOptions = {}): WorkerMetrics {
  if (provider === null || typeof provider !== 'object' || typeof (provider as Partial<FastMeterProvider>).addCollectHook !== 'function') {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, 'attachWorkerMetrics needs a FastMeterProvider from @fastmeter/sdk');
  }
  return new WorkerMetricsImpl(provider, options ?? {});
}
