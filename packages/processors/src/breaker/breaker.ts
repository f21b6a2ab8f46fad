// CircuitBreakerExporter: wraps any PushMetricExporter (the standard
// OTLPMetricExporter of -otlp-http, -otlp-proto or -otlp-grpc) so that a dead
// or hanging backend costs the application nothing.
//
//            N consecutive failures/timeouts                 backoff (with jitter) elapsed
//   CLOSED ───────────────────────────────────► OPEN ──────────────────────────────► HALF_OPEN
//     ▲                                          ▲   export(): fail fast, no network     │
//     │                                          └──────── the probe failed ◄────────────┤
//     └─────────────────────────── the probe succeeded (held data first) ◄───────────────┘
//
// Delta data of a failed or refused export is held (pending.ts) and sent before
// the next batch; cumulative data is not held (the next success carries the
// totals). Nothing is ever thrown or rejected: export() calls back once,
// forceFlush() and shutdown() resolve within their timeouts.
import type { ProcessorHost, RecordFunction } from '@fastmeter/sdk';
import { type AggregationOption, AggregationTemporality, type InstrumentType, type ResourceMetrics } from '@fastmeter/sdk';
import { Warnings } from '@fastmeter/sdk/internal';
import { checkNumber, invalid } from '../options.js';
import { addPressureSource } from '../pressure/pressure.js';
import { registerBreakerMetrics } from '../self-metrics.js';
import { PendingBatch, type TakenBatch } from './pending.js';

/** ExportResultCode of @opentelemetry/core, by value. */
export const ExportResultCode = { SUCCESS: 0, FAILED: 1 } as const;

export interface ExportResult {
  code: number;
  error?: Error;
}

/** The PushMetricExporter contract of sdk-metrics 2.x/3.x, matched by shape. */
export interface PushMetricExporter {
  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  selectAggregationTemporality?(instrumentType: InstrumentType): AggregationTemporality;
  selectAggregation?(instrumentType: InstrumentType): AggregationOption;
}

export const BreakerState = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

export interface CircuitBreakerOptions {
  /** The `exporter` attribute of the self-metrics. Default: the wrapped exporter's class name. */
  name?: string;
  /** Consecutive failed or timed-out exports that open the circuit. Default 3. */
  failureThreshold?: number;
  /**
   * An export the wrapped exporter has not answered within this is a failure, ms. Default 15,000:
   * above the OTLP exporters' own 10 s (retries included), below the periodic reader's 30 s.
   */
  exportTimeoutMillis?: number;
  /** Time open before a probe: initialMillis × multiplier^(opens - 1), ± jitter, at most maxMillis. */
  backoff?: { initialMillis?: number; maxMillis?: number; multiplier?: number; jitter?: number };
  /** Memory bound for held delta data, bytes. Default 4 MiB. */
  maxPendingBytes?: number;
  /** Held data above this fraction of the bound puts the record path under pressure. Default 0.5. */
  pressureFraction?: number;
  /** Upper bound of forceFlush(), ms. Default 5,000. */
  forceFlushTimeoutMillis?: number;
  /** Upper bound of shutdown(), ms. Default 3,000. */
  shutdownTimeoutMillis?: number;
  /** While not closed, limit the provider's new series to this many per second (a processor-attached breaker only). Default: no limit. */
  maxNewSeriesPerSecondWhileOpen?: number;
  /** Uniform random numbers in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
}

export interface BreakerStats {
  state: BreakerState;
  consecutiveFailures: number;
  /** Failed exports by reason since creation. */
  failures: { error: number; timeout: number };
  /** Exports answered without touching the network while open. */
  shortCircuited: number;
  pendingBytes: number;
  pendingPoints: number;
  /** Data points (export intervals) dropped: over the memory bound, or undelivered at shutdown. */
  droppedPoints: number;
  /** Exports given up on (timed out) whose wrapped export has not answered yet. */
  abandoned: number;
  /** True while this breaker holds the provider's new-series rate limit down. */
  limitingSeries: boolean;
}

class CircuitOpenError extends Error {
  readonly code = 'FM_CIRCUIT_OPEN';
  constructor(name: string, held: number) {
    super(
      `fastmeter: circuit breaker "${name}" is open: export skipped without touching the network${held > 0 ? `; ${held} delta points held for retry` : ''}`,
    );
    this.name = 'CircuitOpenError';
  }
}

interface Attempt {
  ok: boolean;
  timedOut: boolean;
  error?: Error;
}

const FAILED = (error: Error): ExportResult => ({ code: ExportResultCode.FAILED, error });

export class CircuitBreakerExporter implements PushMetricExporter {
  readonly name: string;
  private _state: BreakerState = BreakerState.CLOSED;
  private _consecutive = 0;
  private _opens = 0;
  private _probing = false;
  /** Deliveries (held data and/or a batch) in progress. */
  private _sending = 0;
  /** The provider this breaker is attached to has begun shutting down. */
  private _closing = false;
  private _probeTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly _failures = { error: 0, timeout: 0 };
  private _shortCircuited = 0;
  private _abandoned = 0;
  private readonly _pending: PendingBatch;
  private _shutdown: Promise<void> | null = null;
  private readonly _hosts = new Set<ProcessorHost>();
  private readonly _warnings = new Warnings();
  private readonly _o: {
    failureThreshold: number;
    exportTimeoutMillis: number;
    initialMillis: number;
    maxMillis: number;
    multiplier: number;
    jitter: number;
    maxPendingBytes: number;
    pressureFraction: number;
    forceFlushTimeoutMillis: number;
    shutdownTimeoutMillis: number;
    seriesLimit: number | undefined;
    random: () => number;
  };

  constructor(
    private readonly _exporter: PushMetricExporter,
    options: CircuitBreakerOptions = {},
  ) {
    if (_exporter == null || typeof _exporter.export !== 'function')
      invalid('the wrapped exporter', _exporter, 'a PushMetricExporter (an object with export())');
    const b = options.backoff ?? {};
    this._o = {
      failureThreshold: checkNumber('failureThreshold', options.failureThreshold ?? 3, 1, 1_000_000),
      exportTimeoutMillis: checkNumber('exportTimeoutMillis', options.exportTimeoutMillis ?? 15_000, 1, 2_147_483_647),
      initialMillis: checkNumber('backoff.initialMillis', b.initialMillis ?? 5_000, 1, 2_147_483_647),
      maxMillis: checkNumber('backoff.maxMillis', b.maxMillis ?? 60_000, 1, 2_147_483_647),
      multiplier: checkNumber('backoff.multiplier', b.multiplier ?? 2, 1, 1000),
      jitter: checkNumber('backoff.jitter', b.jitter ?? 0.2, 0, 1),
      maxPendingBytes: checkNumber('maxPendingBytes', options.maxPendingBytes ?? 4 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
      pressureFraction: checkNumber('pressureFraction', options.pressureFraction ?? 0.5, 0, 1),
      forceFlushTimeoutMillis: checkNumber('forceFlushTimeoutMillis', options.forceFlushTimeoutMillis ?? 5_000, 0, 2_147_483_647),
      shutdownTimeoutMillis: checkNumber('shutdownTimeoutMillis', options.shutdownTimeoutMillis ?? 3_000, 0, 2_147_483_647),
      seriesLimit:
        options.maxNewSeriesPerSecondWhileOpen === undefined
          ? undefined
          : checkNumber('maxNewSeriesPerSecondWhileOpen', options.maxNewSeriesPerSecondWhileOpen, 0, Number.POSITIVE_INFINITY),
      random: options.random ?? Math.random,
    };
    if (this._o.maxMillis < this._o.initialMillis) checkNumber('backoff.maxMillis', this._o.maxMillis, this._o.initialMillis, Number.POSITIVE_INFINITY);
    this.name = options.name ?? (_exporter.constructor?.name || 'exporter');
    this._pending = new PendingBatch(this._o.maxPendingBytes);
  }

  get state(): BreakerState {
    return this._state;
  }

  /** True while the record path should slow down: not closed, or holding more than `pressureFraction` of the bound. */
  get underPressure(): boolean {
    return this._state !== BreakerState.CLOSED || this._pending.bytes > this._o.pressureFraction * this._o.maxPendingBytes;
  }

  stats(): BreakerStats {
    return {
      state: this._state,
      consecutiveFailures: this._consecutive,
      failures: { ...this._failures },
      shortCircuited: this._shortCircuited,
      pendingBytes: this._pending.bytes,
      pendingPoints: this._pending.intervals,
      droppedPoints: this._pending.dropped,
      abandoned: this._abandoned,
      limitingSeries: this._seriesLimit() !== undefined && this._hosts.size > 0,
    };
  }

  // ---- PushMetricExporter ----------------------------------------------------

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    let answered = false;
    const answer = (result: ExportResult) => {
      if (answered) return;
      answered = true;
      try {
        resultCallback(result);
      } catch (err) {
        this._warn('callback', `the export result callback threw: ${(err as Error)?.message ?? String(err)}`);
      }
    };
    this._export(metrics).then(answer, err => answer(FAILED(err instanceof Error ? err : new Error(String(err)))));
  }

  async forceFlush(): Promise<void> {
    await this._bounded(this._flush(), this._o.forceFlushTimeoutMillis);
  }

  shutdown(): Promise<void> {
    if (this._shutdown === null) this._shutdown = this._bounded(this._shutdownWork(), this._o.shutdownTimeoutMillis);
    return this._shutdown;
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this._exporter.selectAggregationTemporality?.(instrumentType) ?? AggregationTemporality.CUMULATIVE;
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this._exporter.selectAggregation?.(instrumentType) ?? { type: 0 };
  }

  // ---- MeasurementProcessor: no record-path work; self-metrics and series limit ----

  readonly neverThrows = true;

  wrap(_instrument: unknown, next: RecordFunction): RecordFunction {
    return next;
  }

  attach(host: ProcessorHost): () => void {
    this._hosts.add(host);
    if (host.selfMeter !== undefined) registerBreakerMetrics(host, this);
    const removeSource = addPressureSource(host, this);
    this._applySeriesLimit();
    return () => {
      // The provider is shutting down: its readers' last exports follow.
      this._closing = true;
      removeSource();
      host.limitNewSeries(this, undefined);
      this._hosts.delete(host);
    };
  }

  // ---- the state machine -------------------------------------------------------

  private async _export(batch: ResourceMetrics): Promise<ExportResult> {
    if (this._shutdown !== null) {
      this._pending.dropped += countDelta(batch);
      return FAILED(new Error(`fastmeter: circuit breaker "${this.name}" is shut down`));
    }
    if (this._state === BreakerState.OPEN || this._probing) {
      this._pending.hold(batch);
      this._shortCircuited++;
      return FAILED(new CircuitOpenError(this.name, this._pending.intervals));
    }
    if (this._sending > 0) {
      // The reader gave up waiting on the previous export (its timeout is shorter than ours): one export at a
      // time reaches the network, the rest waits in the held data.
      this._pending.hold(batch);
      this._shortCircuited++;
      return FAILED(new Error(`fastmeter: circuit breaker "${this.name}": an earlier export is still in flight; this one is held for the next`));
    }
    if (this._closing && this._consecutive > 0) {
      // The provider is shutting down and the last export failed: do not wait on the backend again.
      this._pending.hold(batch);
      return FAILED(new Error(`fastmeter: circuit breaker "${this.name}": shutting down after a failed export; not retried`));
    }
    // CLOSED, or HALF_OPEN with no probe in flight: this export is the probe.
    const probe = this._state === BreakerState.HALF_OPEN;
    if (probe) this._probing = true;
    try {
      const attempt = await this._deliver(batch);
      return attempt.ok ? { code: ExportResultCode.SUCCESS } : FAILED(attempt.error ?? new Error('export failed'));
    } finally {
      if (probe) this._probing = false;
    }
  }

  /** Sends what is held, then `batch` (if any); on failure holds everything undelivered and counts the failure. */
  private async _deliver(batch: ResourceMetrics | null): Promise<Attempt> {
    this._sending++;
    try {
      return await this._deliverNow(batch);
    } finally {
      this._sending--;
    }
  }

  private async _deliverNow(batch: ResourceMetrics | null): Promise<Attempt> {
    const taken = this._pending.take();
    const held = taken.empty ? [] : taken.toResourceMetrics();
    for (let i = 0; i < held.length; i++) {
      const attempt = await this._send(held[i]);
      if (!attempt.ok) {
        this._pending.restore(taken);
        if (batch !== null) this._pending.hold(batch);
        this._failed(attempt);
        return attempt;
      }
    }
    if (batch !== null) {
      const attempt = await this._send(batch);
      if (!attempt.ok) {
        this._pending.hold(batch);
        this._failed(attempt);
        return attempt;
      }
    }
    this._succeeded();
    return { ok: true, timedOut: false };
  }

  /** One call of the wrapped exporter, bounded by exportTimeoutMillis. Never rejects. */
  private _send(batch: ResourceMetrics): Promise<Attempt> {
    return new Promise<Attempt>(resolve => {
      let settled = false;
      const ms = this._closing ? Math.min(this._o.exportTimeoutMillis, this._o.shutdownTimeoutMillis) : this._o.exportTimeoutMillis;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this._abandoned++;
        resolve({ ok: false, timedOut: true, error: new Error(`fastmeter: export through "${this.name}" timed out after ${ms} ms`) });
      }, ms);
      timer.unref?.();
      const done = (result: ExportResult | undefined) => {
        if (settled) {
          // The answer to an export we gave up on.
          this._abandoned = Math.max(0, this._abandoned - 1);
          return;
        }
        settled = true;
        clearTimeout(timer);
        const ok = result?.code === ExportResultCode.SUCCESS;
        resolve({ ok, timedOut: false, error: ok ? undefined : toError(result?.error) });
      };
      try {
        let calls = 0;
        this._exporter.export(batch, result => {
          if (calls++ === 0) done(result);
        });
      } catch (err) {
        done({ code: ExportResultCode.FAILED, error: toError(err) });
      }
    });
  }

  private _failed(attempt: Attempt): void {
    if (attempt.timedOut) this._failures.timeout++;
    else this._failures.error++;
    this._consecutive++;
    const why = attempt.timedOut ? `timed out after ${this._o.exportTimeoutMillis} ms` : `failed: ${attempt.error?.message ?? 'unknown error'}`;
    this._warn('failed', `export through "${this.name}" ${why}`);
    if (this._state === BreakerState.HALF_OPEN || this._consecutive >= this._o.failureThreshold) this._open();
  }

  private _succeeded(): void {
    const wasOpen = this._state !== BreakerState.CLOSED;
    this._consecutive = 0;
    this._opens = 0;
    this._state = BreakerState.CLOSED;
    this._clearProbeTimer();
    if (wasOpen) {
      this._applySeriesLimit();
      this._warn('closed', `circuit breaker "${this.name}" closed: the backend accepted an export`);
    }
  }

  private _open(): void {
    this._state = BreakerState.OPEN;
    this._opens++;
    const o = this._o;
    const base = Math.min(o.maxMillis, o.initialMillis * o.multiplier ** (this._opens - 1));
    const delay = Math.max(1, Math.min(o.maxMillis, base * (1 + o.jitter * (2 * o.random() - 1))));
    this._clearProbeTimer();
    this._probeTimer = setTimeout(() => this._halfOpen(), delay);
    this._probeTimer.unref?.();
    this._applySeriesLimit();
    this._warn('open', `circuit breaker "${this.name}" opened after ${this._consecutive} consecutive failures; next probe in ${Math.round(delay)} ms`);
  }

  /** Backoff elapsed: probe now with the held data, or let the next export be the probe. */
  private _halfOpen(): void {
    this._probeTimer = null;
    if (this._shutdown !== null || this._state !== BreakerState.OPEN) return;
    this._state = BreakerState.HALF_OPEN;
    if (this._pending.size === 0) return;
    this._probing = true;
    this._deliver(null)
      .catch(err => this._warn('probe', `probe failed: ${(err as Error)?.message ?? String(err)}`))
      .finally(() => {
        this._probing = false;
      });
  }

  private _clearProbeTimer(): void {
    if (this._probeTimer !== null) clearTimeout(this._probeTimer);
    this._probeTimer = null;
  }

  private _seriesLimit(): number | undefined {
    return this._state === BreakerState.CLOSED || this._shutdown !== null ? undefined : this._o.seriesLimit;
  }

  private _applySeriesLimit(): void {
    const limit = this._seriesLimit();
    for (const host of this._hosts) host.limitNewSeries(this, limit);
  }

  // ---- flush and shutdown ---------------------------------------------------------

  private async _flush(): Promise<void> {
    // Only a closed circuit whose last export worked sends held data here: after a
    // failure the backend just failed, and flush must not wait on it again.
    if (this._state === BreakerState.CLOSED && this._consecutive === 0 && this._pending.size > 0 && this._shutdown === null) {
      await this._deliver(null);
    }
    await this._innerSettled(() => this._exporter.forceFlush());
  }

  private async _shutdownWork(): Promise<void> {
    this._clearProbeTimer();
    this._applySeriesLimit();
    if (this._state === BreakerState.CLOSED && this._consecutive === 0 && this._pending.size > 0) {
      const taken: TakenBatch = this._pending.take();
      let delivered = true;
      for (const rm of taken.toResourceMetrics()) {
        if (!(await this._send(rm)).ok) {
          delivered = false;
          break;
        }
      }
      if (!delivered) this._pending.restore(taken);
    }
    const lost = this._pending.clear();
    if (lost > 0)
      this._warn('lost', `circuit breaker "${this.name}" shut down with ${lost} delta points undelivered (counted in fastmeter.breaker.dropped_points)`);
    await this._innerSettled(() => this._exporter.shutdown());
  }

  /**
   * Calls the wrapped exporter's forceFlush/shutdown. While exports we gave up on
   * are still in flight it would wait for them (the OTLP exporters await every
   * request), so then it is not awaited.
   */
  private async _innerSettled(call: () => Promise<void>): Promise<void> {
    let p: Promise<void>;
    try {
      p = Promise.resolve(call());
    } catch (err) {
      this._warn('inner', `the wrapped exporter threw: ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    const guarded = p.catch(err => this._warn('inner', `the wrapped exporter failed: ${(err as Error)?.message ?? String(err)}`));
    if (this._abandoned === 0) await guarded;
  }

  /** Resolves when `work` settles or after `ms`, whichever is first; never rejects. */
  private _bounded(work: Promise<void>, ms: number): Promise<void> {
    return new Promise<void>(resolve => {
      const timer = setTimeout(resolve, ms);
      timer.unref?.();
      work
        .catch(err => this._warn('bounded', `${(err as Error)?.message ?? String(err)}`))
        .finally(() => {
          clearTimeout(timer);
          resolve();
        });
    });
  }

  private _warn(key: string, message: string): void {
    this._warnings.warn(`${key}:${this.name}`, message.startsWith('fastmeter:') ? message : `fastmeter: ${message}`);
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(value === undefined ? 'export failed' : String(value));
}

/** Delta points in a batch (what a shut-down breaker drops). */
function countDelta(batch: ResourceMetrics): number {
  let n = 0;
  for (const sm of batch.scopeMetrics) for (const m of sm.metrics) if (m.aggregationTemporality === AggregationTemporality.DELTA) n += m.dataPoints.length;
  return n;
}
