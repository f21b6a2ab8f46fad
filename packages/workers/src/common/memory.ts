import { H_MAGIC, H_VERSION, LAYOUT_VERSION, Layout, type LayoutConfig, MAGIC } from './layout.js';

/**
 * What a worker needs to join: two SharedArrayBuffers and a version. A plain
 * object, so it travels in `workerData` or a `postMessage` (the buffers are
 * shared, not copied).
 */
export interface WorkerMetricsHandle {
  readonly type: 'fastmeter.workers';
  readonly version: number;
  readonly control: SharedArrayBuffer;
  readonly values: SharedArrayBuffer;
}

export function isWorkerMetricsHandle(value: unknown): value is WorkerMetricsHandle {
  const h = value as Partial<WorkerMetricsHandle> | null;
  return (
    typeof h === 'object' &&
    h !== null &&
    h.type === 'fastmeter.workers' &&
    h.control instanceof SharedArrayBuffer &&
    h.values instanceof SharedArrayBuffer &&
    typeof h.version === 'number'
  );
}

/** Views over the two buffers, the same in every thread. */
export class SharedMemory {
  readonly control: Int32Array;
  readonly arena: Uint8Array;
  readonly values: Float64Array;
  readonly valuesI32: Int32Array;

  private constructor(
    readonly layout: Layout,
    readonly controlBuffer: SharedArrayBuffer,
    readonly valuesBuffer: SharedArrayBuffer,
  ) {
    this.control = new Int32Array(controlBuffer, 0, layout.arenaOffset / 4);
    this.arena = new Uint8Array(controlBuffer, layout.arenaOffset, layout.config.arenaBytes);
    this.values = new Float64Array(valuesBuffer);
    this.valuesI32 = new Int32Array(valuesBuffer);
  }

  static create(config: LayoutConfig): SharedMemory {
    const layout = new Layout(config);
    // Pages are committed by the OS when first written: unused capacity costs address space only.
    const memory = new SharedMemory(layout, new SharedArrayBuffer(layout.controlBytes), new SharedArrayBuffer(layout.valueBytes));
    layout.writeHeader(memory.control);
    return memory;
  }

  /** Opens a handle made by `WorkerMetrics`; throws a TypeError when it is not one or comes from another layout version. */
  static open(handle: unknown): SharedMemory {
    if (!isWorkerMetricsHandle(handle)) {
      throw new TypeError('fastmeter: createWorkerMeterProvider needs the handle of attachWorkerMetrics(...) (pass `metrics.handle` in workerData)');
    }
    const header = new Int32Array(handle.control, 0, 32);
    if (Atomics.load(header, H_MAGIC) !== MAGIC || header[H_VERSION] !== LAYOUT_VERSION || handle.version !== LAYOUT_VERSION) {
      throw new TypeError(
        `fastmeter: the worker handle has layout version ${handle.version}, this @fastmeter/workers reads version ${LAYOUT_VERSION}: load the same version in the main thread and the workers`,
      );
    }
    const layout = Layout.fromHeader(header);
    if (handle.control.byteLength < layout.controlBytes || handle.values.byteLength < layout.valueBytes) {
      throw new TypeError('fastmeter: the worker handle is truncated');
    }
    return new SharedMemory(layout, handle.control, handle.values);
  }

  handle(): WorkerMetricsHandle {
    return { type: 'fastmeter.workers', version: LAYOUT_VERSION, control: this.controlBuffer, values: this.valuesBuffer };
  }

  /** Word offset of lane `lane` in `values`. */
  laneBase(lane: number): number {
    return lane * this.layout.config.laneWords;
  }
}
