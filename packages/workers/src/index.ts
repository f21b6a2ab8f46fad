export { attachWorkerMetrics, type TrackableWorker, type WorkerMetrics, type WorkerMetricsOptions, type WorkerMetricsStats } from './main/host.js';
export { isWorkerMetricsHandle, type WorkerMetricsHandle } from './common/memory.js';
export { createWorkerMeterProvider, type WorkerMeterProvider } from './worker/provider.js';
