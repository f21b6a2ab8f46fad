// Forwarding: the ring feeds a standard PushMetricExporter (OTLP, a circuit
// breaker from @fastmeter/processors, any exporter with export(metrics, cb)).
//
//   every intervalMillis:  pending.push(now) ─► drain: for each pending boundary b, in order:
//                             build ResourceMetrics "as of b" from the ring ─► exporter.export
//                             success → drop b, remember what was sent; failure → stop, keep b
//
// A boundary is an interval end. Its export holds, per series, the latest point
// at or before b: the cumulative value, or (delta temporality) the increase
// since the last point successfully exported for that series. Nothing is
// collected again: the ring already holds every interval. So after an outage the
// backlog goes out in order, each interval with its own values; an outage
// shorter than the ring leaves no gap in deltas and no wrong rate in cumulative
// data. Pending boundaries are bounded by the ring's length: older ones cannot
// be answered any more (their increase rolls into the next delta).
import { diag } from '@opentelemetry/api';
import { RingConfigError, RingErrorCode } from '../errors.js';
import type { Family, Series } from '../store/model.js';
import type { RingStore } from '../store/ring-store.js';
import { buildExport } from './snapshot.js';

export interface ExportResultLike {
  code: number;
  error?: Error;
}

/** The PushMetricExporter contract of sdk-metrics (matched by shape). */
export interface PushMetricExporterLike {
  export(metrics: any, resultCallback: (result: ExportResultLike) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  selectAggregationTemporality?(instrumentType: any): number;
}

export interface ForwardOptions {
  exporter: PushMetricExporterLike;
  /** How often to export, ms. Default 60,000 (as PeriodicExportingMetricReader). */
  intervalMillis?: number;
  /** How long one export may take before it counts as failed, ms. Default 30,000, at most the interval. */
  timeoutMillis?: number;
  /** Which metrics to forward (default: all, including data ingested from other processes). */
  filter?: (metric: { name: string; scope: { name: string; version?: string } }) => boolean;
  /** No timer: exports happen only when you call tick() (tests, custom schedules). Default false. */
  manual?: boolean;
}

export interface ForwarderStats {
  /** Intervals waiting to be exported (the backlog). */
  pending: number;
  /** Exports that succeeded / failed. */
  exported: number;
  failed: number;
  /** Intervals given up because the ring no longer holds them (their deltas roll into the next one). */
  droppedIntervals: number;
}

/** What was last sent for one series (delta temporality): the stored cumulative state and its time. */
export interface Sent {
  /** Relative time of the point sent. */
  t: number;
  /** Its stored (cumulative) value, for scalars. */
  v: number;
}

export class Forwarder {
  readonly intervalMillis: number;
  readonly timeoutMillis: number;
  private readonly _exporter: PushMetricExporterLike;
  private readonly _filter: ForwardOptions['filter'];
  private readonly _pending: number[] = [];
  /** Resources already exported for the first pending boundary (a retry skips them). */
  private readonly _doneResources = new Set<number>();
  readonly sent = new Map<Series, Sent>();
  private readonly _temporality = new Map<Family, number>();
  private _timer: ReturnType<typeof setInterval> | undefined = undefined;
  private _draining: Promise<void> | undefined = undefined;
  private _inflight: Attempt | undefined = undefined;
  /** The latest interval end queued. */
  private _lastBoundary = Number.NEGATIVE_INFINITY;
  private _stopped = false;
  private _stats: ForwarderStats = { pending: 0, exported: 0, failed: 0, droppedIntervals: 0 };

  constructor(
    private readonly _store: RingStore,
    options: ForwardOptions,
    private readonly _onStop: () => void,
  ) {
    const e = options.exporter;
    if (e === null || typeof e !== 'object' || typeof e.export !== 'function' || typeof e.shutdown !== 'function' || typeof e.forceFlush !== 'function') {
      throw new RingConfigError(RingErrorCode.INVALID_EXPORTER, 'forward() needs a PushMetricExporter (export, forceFlush, shutdown)');
    }
    const interval = options.intervalMillis ?? 60_000;
    if (typeof interval !== 'number' || !(interval >= 1) || !Number.isFinite(interval)) {
      throw new RingConfigError(RingErrorCode.INVALID_OPTION, `intervalMillis must be a positive number, got ${String(interval)}`);
    }
    const timeout = options.timeoutMillis ?? 30_000;
    if (typeof timeout !== 'number' || !(timeout >= 1))
      throw new RingConfigError(RingErrorCode.INVALID_OPTION, `timeoutMillis must be positive, got ${String(timeout)}`);
    if (options.filter !== undefined && typeof options.filter !== 'function')
      throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'filter must be a function');
    this._exporter = e;
    this.intervalMillis = interval;
    this.timeoutMillis = Math.min(timeout, interval);
    this._filter = options.filter;
    if (options.manual !== true) {
      this._timer = setInterval(() => void this.tick(), interval);
      this._timer.unref?.();
    }
  }

  /** The most intervals the backlog holds: as many as the ring can still answer. */
  get maxPending(): number {
    return Math.max(1, Math.ceil(this._store.retentionMillis / this.intervalMillis) + 1);
  }

  stats(): ForwarderStats {
    return { ...this._stats, pending: this._pending.length };
  }

  /** Closes an interval at the ring's current time and exports the backlog, in order. */
  tick(): Promise<void> {
    if (this._stopped) return Promise.resolve();
    const now = this._store.options.now();
    // An interval ends once: a second tick at the same time (shutdown right after a tick) only drains.
    if (!(now <= this._lastBoundary)) {
      this._pending.push(now);
      this._lastBoundary = now;
    }
    while (this._pending.length > this.maxPending) {
      this._pending.shift();
      this._doneResources.clear();
      this._stats.droppedIntervals++;
      this._store.warnings.warn(
        'forward-backlog',
        'fastmeter ring: forwarding backlog is longer than the ring; the oldest interval was given up (its increase goes with the next)',
      );
    }
    return this.drain();
  }

  /** Exports pending intervals until one fails or none is left. One drain at a time. */
  drain(): Promise<void> {
    if (this._draining !== undefined) return this._draining;
    // Cleared when it settles (not in a finally inside: that can run before the assignment).
    const p: Promise<void> = this._drain().finally(() => {
      if (this._draining === p) this._draining = undefined;
    });
    this._draining = p;
    return p;
  }

  private async _drain(): Promise<void> {
    // An export that outlived its timeout is still in flight: do not send around it (order, no
    // duplicates) unless it stays silent for ABANDON_AFTER timeouts (an exporter that never calls back).
    const inflight = this._inflight;
    if (inflight !== undefined && !inflight.settled) {
      if (performance.now() - inflight.started < ABANDON_AFTER * this.timeoutMillis) return;
      inflight.settled = true;
    }
    this._inflight = undefined;
    while (this._pending.length > 0 && !this._stopped) {
      if (!(await this._exportBoundary(this._pending[0]))) break;
      this._pending.shift();
      this._doneResources.clear();
    }
  }

  private async _exportBoundary(boundary: number): Promise<boolean> {
    const batches = buildExport(this._store, boundary, this, f => this._temporalityOf(f), this._filter);
    if (batches.length === 0 && boundary <= this._store.newest - this._store.retentionMillis) {
      // The ring no longer holds this interval: given up (a delta's increase goes with the next one).
      this._stats.droppedIntervals++;
    }
    for (const batch of batches) {
      if (this._doneResources.has(batch.resourceId)) continue;
      const attempt = this._export(batch.resourceMetrics);
      const ok = await Promise.race([attempt.result, attempt.timedOut]);
      if (ok === 'timeout') {
        this._stats.failed++;
        this._inflight = attempt;
        this._store.warnings.warn(
          'forward-timeout',
          `fastmeter ring: an export took longer than ${this.timeoutMillis} ms; nothing more is sent until it ends (its interval is retried if it failed)`,
        );
        // If it succeeds after all, that batch counts as sent.
        void attempt.result.then(late => {
          if (late && this._pending[0] === boundary && !this._doneResources.has(batch.resourceId)) {
            this._stats.exported++;
            this._doneResources.add(batch.resourceId);
            batch.commit();
          }
        });
        return false;
      }
      if (!ok) {
        this._stats.failed++;
        this._checkHolding();
        return false;
      }
      this._stats.exported++;
      this._doneResources.add(batch.resourceId);
      batch.commit();
    }
    return true;
  }

  /** One export call: `result` settles with the exporter's answer, `timedOut` after timeoutMillis. */
  private _export(resourceMetrics: unknown): Attempt {
    const attempt: Attempt = {
      settled: false,
      started: performance.now(),
      result: undefined as unknown as Promise<boolean>,
      timedOut: undefined as unknown as Promise<'timeout'>,
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    attempt.timedOut = new Promise(resolve => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMillis);
      timer.unref?.();
    });
    attempt.result = new Promise<boolean>(resolve => {
      const done = (ok: boolean) => {
        if (attempt.settled) return;
        attempt.settled = true;
        clearTimeout(timer);
        resolve(ok);
      };
      try {
        this._exporter.export(resourceMetrics, result => {
          const ok = result?.code === 0;
          if (!ok) {
            this._store.warnings.warn(
              'forward-failed',
              `fastmeter ring: export failed (${result?.error?.message ?? 'no reason given'}); the ring keeps the interval and retries`,
            );
          }
          done(ok);
        });
      } catch (err) {
        this._store.warnings.warn('forward-threw', `fastmeter ring: export threw (${(err as Error)?.message ?? String(err)}); retried later`);
        done(false);
      }
    });
    return attempt;
  }

  /**
   * An exporter that keeps the delta data of a failed export itself (a CircuitBreakerExporter
   * with maxPendingBytes > 0) would send it again beside the ring's retry: warn once.
   */
  private _checkHolding(): void {
    if (this._warnedHolding) return;
    let held = 0;
    try {
      held = Number((this._exporter as { stats?: () => { pendingPoints?: number } }).stats?.()?.pendingPoints ?? 0);
    } catch {}
    if (held > 0) {
      this._warnedHolding = true;
      diag.warn(
        'fastmeter ring: the exporter holds the delta data of a failed export itself (a CircuitBreakerExporter?) while the ring retries the interval: the data would be sent twice. Forward through a breaker with maxPendingBytes: 0.',
      );
    }
  }

  private _warnedHolding = false;

  private _temporalityOf(family: Family): number {
    let t = this._temporality.get(family);
    if (t === undefined) {
      let v: unknown = 1;
      try {
        v = this._exporter.selectAggregationTemporality?.(instrumentType(family)) ?? 1;
      } catch {}
      t = v === 0 ? 0 : 1;
      this._temporality.set(family, t);
    }
    return t;
  }

  /** Sends the backlog (bounded by `timeoutMillis`), then flushes and shuts the exporter down. */
  async shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    if (this._stopped) return;
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    const deadline = options?.timeoutMillis ?? this.timeoutMillis;
    const final = this.tick();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([final, new Promise<void>(resolve => (timer = setTimeout(resolve, deadline)))]);
    clearTimeout(timer);
    this._stopped = true;
    this._onStop();
    if (this._pending.length > 0) diag.warn(`fastmeter ring: forwarder stopped with ${this._pending.length} interval(s) not exported`);
    try {
      await this._exporter.forceFlush();
    } catch {}
    try {
      await this._exporter.shutdown();
    } catch (err) {
      diag.warn(`fastmeter ring: exporter shutdown failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}

/** Timeouts after which an export that never called back is abandoned. */
const ABANDON_AFTER = 4;

interface Attempt {
  settled: boolean;
  started: number;
  result: Promise<boolean>;
  timedOut: Promise<'timeout'>;
}

/** sdk-metrics InstrumentType values for a family's kind (the exporter chooses temporality by it). */
export function instrumentType(family: Family): string {
  switch (family.kind) {
    case 'counter':
      return 'COUNTER';
    case 'updowncounter':
      return 'UP_DOWN_COUNTER';
    case 'gauge':
      return 'GAUGE';
    default:
      return 'HISTOGRAM';
  }
}
