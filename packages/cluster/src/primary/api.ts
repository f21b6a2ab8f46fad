// The primary's public shapes: options, the handle attachClusterMetrics returns, its stats.
import type { DropCause } from '../protocol/messages.js';

export interface ClusterMetricsOptions {
  /**
   * Per-worker series: each worker's series also carry its process id (`'pid'`,
   * key `process.pid`) or its cluster worker id (`'id'`, key `cluster.worker.id`).
   * Default: none, the same instrument and attributes in any worker are one series.
   */
  workerAttribute?: 'pid' | 'id';
  /** The attribute key for `workerAttribute`. */
  workerAttributeKey?: string;
  /**
   * Before every collection by a reader of the provider (a scrape), ask each
   * worker for what it recorded since its last sync and wait for the answers,
   * at most `flushTimeoutMs`. Default false: a collection sees the workers'
   * state as of their last sync, at most one `intervalMs` old.
   */
  freshOnCollect?: boolean;
  /** How long `flush()` (and `freshOnCollect`) waits for the workers' answers, in ms. Default 500. */
  flushTimeoutMs?: number;
  /** Series ids accepted from one worker; a worker within its own `maxSeries` never reaches it. Default 200,000. */
  maxSeriesPerWorker?: number;
  /** Instruments accepted from one worker. Default 2,000. */
  maxInstrumentsPerWorker?: number;
  /** With `workerAttribute`: how long an exited worker's series stay in the export before they are removed, in ms. Default 60,000. */
  exitedWorkerRetentionMs?: number;
  /** Export `fastmeter.cluster.*` under the meter `fastmeter` (see the README). Default false. */
  selfMetrics?: boolean;
  /** @internal Tests: another source of worker events than node:cluster. */
  cluster?: ClusterLike;
}

/** The part of node:cluster (primary) this uses. */
export interface ClusterLike {
  on(event: 'message', listener: (worker: ClusterWorkerLike, message: unknown) => void): unknown;
  on(event: 'disconnect' | 'exit', listener: (worker: ClusterWorkerLike) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}
export interface ClusterWorkerLike {
  readonly id: number;
  readonly process: { readonly pid?: number | undefined };
  send(message: object, callback: (err: Error | null) => void): boolean;
  isConnected(): boolean;
}

export interface ClusterFlushResult {
  /** Workers asked, and those that answered within the timeout. */
  readonly asked: number;
  readonly answered: number;
}

export interface ClusterWorkerInfo {
  readonly id: number;
  readonly pid: number;
  readonly session: number;
  /** Sync messages applied, and the sequence number of the last one. */
  readonly syncs: number;
  readonly lastSeq: number;
  readonly bytes: number;
  readonly series: number;
  /** Milliseconds since its last sync. */
  readonly age: number;
}

export interface ClusterMetricsStats {
  /** Worker sessions currently sending (a worker has one per ClusterWorker). */
  readonly workers: ClusterWorkerInfo[];
  readonly syncs: number;
  readonly bytes: number;
  /** Worker series bound to the provider's instruments now. */
  readonly series: number;
  readonly dropped: Readonly<Record<DropCause, number>>;
  readonly flushes: number;
  /** Workers that did not answer a flush within the timeout. */
  readonly flushTimeouts: number;
  /** Workers whose IPC channel closed (exited, killed, disconnected). */
  readonly exited: number;
  /** The last sessions of the most recently exited workers (up to 32), as they were when the channel closed. */
  readonly exitedWorkers: ClusterWorkerInfo[];
}

export interface ClusterMetrics {
  /** Asks every worker for what it recorded since its last sync; resolves when all answered or after `timeoutMs` (default `flushTimeoutMs`). Never rejects. */
  flush(timeoutMs?: number): Promise<ClusterFlushResult>;
  stats(): ClusterMetricsStats;
  /** Stops listening (workers then keep their data until a primary answers again). What was applied stays in the provider. */
  close(): void;
}
