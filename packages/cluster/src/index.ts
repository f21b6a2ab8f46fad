export { ClusterWorker } from './worker/cluster-worker.js';
export type { ClusterSyncInfo, ClusterWorkerOptions, ClusterWorkerStats } from './worker/api.js';
export { attachClusterMetrics } from './primary/attach.js';
export type { ClusterFlushResult, ClusterMetrics, ClusterMetricsOptions, ClusterMetricsStats, ClusterWorkerInfo } from './primary/api.js';
export { DropCause } from './protocol/messages.js';
