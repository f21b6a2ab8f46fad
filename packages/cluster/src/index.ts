export { ClusterWorker, type ClusterSyncInfo, type ClusterWorkerOptions, type ClusterWorkerStats } from './worker/cluster-worker.js';
export {
  attachClusterMetrics,
  type ClusterFlushResult,
  type ClusterMetrics,
  type ClusterMetricsOptions,
  type ClusterMetricsStats,
  type ClusterWorkerInfo,
} from './primary/attach.js';
export { DropCause } from './protocol/messages.js';
