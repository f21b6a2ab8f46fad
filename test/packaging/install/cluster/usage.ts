// @fastmeter/cluster's declarations as an application written in TypeScript sees them (type-checked only).
import cluster from 'node:cluster';
import { metrics } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import {
  type ClusterFlushResult,
  type ClusterMetrics,
  type ClusterMetricsStats,
  type ClusterSyncInfo,
  ClusterWorker,
  type ClusterWorkerStats,
  DropCause,
  attachClusterMetrics,
} from '@fastmeter/cluster';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

export async function main(): Promise<void> {
  if (cluster.isPrimary) {
    const provider = new FastMeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] });
    const clusterMetrics: ClusterMetrics = attachClusterMetrics(provider, {
      workerAttribute: 'pid',
      freshOnCollect: true,
      flushTimeoutMs: 250,
      selfMetrics: true,
    });
    const flushed: ClusterFlushResult = await clusterMetrics.flush();
    const stats: ClusterMetricsStats = clusterMetrics.stats();
    const dropped: number = stats.dropped[DropCause.QUEUE_FULL] + flushed.asked;
    void dropped;
    clusterMetrics.close();
  } else {
    const reader = new ClusterWorker({ intervalMs: 1000, maxQueueBytes: 1 << 20, onSync: (info: ClusterSyncInfo) => void info.bytes });
    metrics.setGlobalMeterProvider(new FastMeterProvider({ readers: [reader] }));
    const stats: ClusterWorkerStats = reader.stats();
    void stats.written;
    await reader.forceFlush({ timeoutMillis: 1000 });
  }
}
