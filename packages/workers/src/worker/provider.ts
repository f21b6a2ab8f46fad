import { type Meter, type MeterOptions, type MeterProvider, createNoopMeter, diag } from '@opentelemetry/api';
import { threadId } from 'node:worker_threads';
import { ByteWriter, writeAttributes } from '../common/encode.js';
import { H_CLOSED, H_JOINS, H_NO_LANE } from '../common/layout.js';
import { SharedMemory } from '../common/memory.js';
import { Warnings } from '@fastmeter/sdk/internal';
import { Registry } from '../shared/registry.js';
import type { LaneRef } from './record.js';
import { type WorkerState, WorkerMeter } from './meter.js';

/** A MeterProvider for a worker thread: register it as the worker's global provider. */
export interface WorkerMeterProvider extends MeterProvider {
  /** This provider's lane (one per provider), or -1 when every lane was taken and its instruments are no-ops. */
  readonly lane: number;
  /** Measurements this provider dropped (bad values, invalid attributes, a stalled or dead writer). */
  readonly dropped: number;
  /** Nothing to flush: the main thread reads shared memory when its readers collect. */
  forceFlush(): Promise<void>;
  /**
   * Gives the lane back: the main side collects what it holds and reuses it for
   * another thread. Later measurements go nowhere. Also done when the thread
   * exits normally; a thread ended by `worker.terminate()` is released by the
   * main side's `track(worker)`.
   */
  shutdown(): Promise<void>;
}

function overflowKey(): Uint8Array {
  const w = new ByteWriter(64);
  writeAttributes(w, ['otel.metric.overflow'], [true], [0]);
  return w.bytes().slice();
}

/** Claims a free lane for this thread: the lane table value becomes threadId + 1. */
function claimLane(memory: SharedMemory): number {
  const { control, layout } = memory;
  for (let lane = 0; lane < layout.config.maxLanes; lane++) {
    if (Atomics.compareExchange(control, layout.lanes + lane, 0, threadId + 1) === 0) {
      Atomics.add(control, H_JOINS, 1);
      return lane;
    }
  }
  return -1;
}

class WorkerMeterProviderImpl implements WorkerMeterProvider {
  private readonly _state: WorkerState;
  private readonly _meters = new Map<string, Meter>();
  private _shutdown = false;

  constructor(
    private readonly _memory: SharedMemory,
    readonly lane: number,
  ) {
    const laneWords = _memory.layout.config.laneWords;
    const laneRef: LaneRef =
      lane >= 0
        ? {
            f: new Float64Array(_memory.valuesBuffer, lane * laneWords * 8, laneWords),
            i: new Int32Array(_memory.valuesBuffer, lane * laneWords * 8, laneWords * 2),
          }
        : privateLane(laneWords);
    this._state = {
      memory: _memory,
      registry: lane >= 0 ? new Registry(_memory, lane, overflowKey()) : null,
      lane: laneRef,
      warnings: new Warnings(),
      series: new Map(),
      checks: [],
    };
    if (lane >= 0) onExit(this);
  }

  get dropped(): number {
    let n = 0;
    for (const check of this._state.checks) n += check.dropped;
    for (const series of this._state.series.values()) n += series.dropped;
    return n;
  }

  getMeter(name: string, version = '', options: MeterOptions = {}): Meter {
    if (this._shutdown) {
      diag.warn('A shutdown MeterProvider cannot provide a Meter');
      return createNoopMeter();
    }
    const scope = { name: typeof name === 'string' ? name : String(name), version: version ?? '', schemaUrl: options?.schemaUrl ?? '' };
    const key = `${scope.name}\0${scope.version}\0${scope.schemaUrl}`;
    let meter = this._meters.get(key);
    if (meter === undefined) {
      meter = new WorkerMeter(this._state, scope);
      this._meters.set(key, meter);
    }
    return meter;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    if (this._shutdown) {
      diag.warn('shutdown may only be called once per MeterProvider');
      return;
    }
    this._shutdown = true;
    exiting.delete(this);
    this._release();
  }

  /** Stops writing shared memory, then hands the lane to the main side (-(threadId + 1): "released, collect it"). */
  _release(): void {
    if (this.lane < 0) return;
    const state = this._state;
    if (state.registry !== null) state.registry.close();
    const scratch = privateLane(this._memory.layout.config.laneWords);
    state.lane.f = scratch.f;
    state.lane.i = scratch.i;
    const { control, layout } = this._memory;
    Atomics.compareExchange(control, layout.lanes + this.lane, threadId + 1, -(threadId + 1));
  }
}

// One 'exit' listener per thread releases the lanes of every live provider when the thread ends normally.
const exiting = new Set<WorkerMeterProviderImpl>();
let exitHooked = false;
function onExit(provider: WorkerMeterProviderImpl): void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const p of exiting) p._release();
      exiting.clear();
    });
  }
  exiting.add(provider);
}

function privateLane(laneWords: number): LaneRef {
  const buffer = new ArrayBuffer(laneWords * 8);
  return { f: new Float64Array(buffer), i: new Int32Array(buffer) };
}

/**
 * The worker side: opens the handle made by `attachWorkerMetrics` on the main
 * thread and returns a MeterProvider whose instruments record into shared
 * memory. Each provider takes one lane (a region only this thread writes);
 * when none is free it returns a provider of no-op instruments, with a warning.
 *
 * ```js
 * const provider = createWorkerMeterProvider(workerData.metrics);
 * metrics.setGlobalMeterProvider(provider);
 * ```
 */
export function createWorkerMeterProvider(handle: unknown): WorkerMeterProvider {
  const memory = SharedMemory.open(handle);
  const lane = claimLane(memory);
  if (lane < 0) {
    Atomics.add(memory.control, H_NO_LANE, 1);
    diag.warn(
      `fastmeter: no free lane for thread ${threadId} (maxThreads = ${memory.layout.config.maxLanes}); its instruments are no-ops. Raise maxThreads in attachWorkerMetrics, or track(worker) so lanes of terminated workers are reused`,
    );
  }
  if (Atomics.load(memory.control, H_CLOSED) === 1) diag.debug('fastmeter: the main side of this worker handle is closed; measurements are not exported');
  return new WorkerMeterProviderImpl(memory, lane);
}
