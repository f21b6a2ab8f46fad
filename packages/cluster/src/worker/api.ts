// The worker's public shapes: ClusterWorker's options, the onSync report, its stats.
import type { WorkerChannel } from './channel.js';

export interface ClusterWorkerOptions {
  /** How often the worker sends what changed to the primary, in milliseconds. Default 1000. */
  intervalMs?: number;
  /** Series this worker sends (all instruments); past it, new attribute sets go to `{ "otel.metric.overflow": true }`. Default 100,000. */
  maxSeries?: number;
  /** Instruments this worker sends; past it, an instrument's data stays in the worker (counted). Default 1,000. */
  maxInstruments?: number;
  /**
   * Bytes handed to the IPC channel and not yet written (the primary is not
   * reading). Past it, collections coalesce into one pending message (nothing
   * is lost) and new series are dropped (counted). Default 8 MiB.
   */
  maxQueueBytes?: number;
  /**
   * Called for each sync message right before it is handed to the IPC channel, in the turn of
   * the collection whose data it carries: a log written here is complete for every message the
   * primary can receive, even when the process is killed right after.
   */
  onSync?: (info: ClusterSyncInfo) => void;
  /** @internal Tests: another channel than this process' IPC channel. */
  channel?: WorkerChannel | null;
  /** @internal Tests: collections without data before a series id is released (default 300). */
  releaseAfter?: number;
}

export interface ClusterSyncInfo {
  /** Sequence number of the message in its session (1, 2, ...). */
  readonly seq: number;
  readonly session: number;
  /** Encoded size of the message's data. */
  readonly bytes: number;
  /** Series with values in the message. */
  readonly values: number;
  /** Series and instruments defined by the message (sent once per series). */
  readonly definitions: number;
  /** The primary asked for this message (fresh data at collect time). */
  readonly flush: boolean;
}

export interface ClusterWorkerStats {
  /** A cluster worker with an open IPC channel. */
  readonly connected: boolean;
  /** The primary answered (attachClusterMetrics is running there). */
  readonly welcomed: boolean;
  readonly session: number;
  /** Sync messages sent in this session, and the last one written to the channel. */
  readonly seq: number;
  readonly written: number;
  readonly bytesSent: number;
  readonly inFlightBytes: number;
  readonly series: number;
  readonly instruments: number;
  /** Collections held back (coalesced into the next message) while the channel was busy or the primary had not answered. */
  readonly coalesced: number;
  /** Measurements or series not sent: queue full, instrument limit, unsupported aggregation. */
  readonly dropped: number;
  /** New attribute sets sent as the overflow series (maxSeries). */
  readonly overflowed: number;
  /** Series ids released after being idle (the primary forgets them; they come back as new series). */
  readonly released: number;
}
