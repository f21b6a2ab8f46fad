// attachClusterMetrics: the primary's side. It answers workers' hellos, applies
// their sync messages to the provider's instruments as they arrive, asks for
// fresh data at collect time when configured, and lets go of a worker's
// handles when its IPC channel closes (everything it sent is in the export by
// then: a channel closes only after its last message was read).
import cluster from 'node:cluster';
import type { Attributes } from '@opentelemetry/api';
import { ErrorCode, FastMeterConfigError, type FastMeterProvider, removeSeries } from '@fastmeter/sdk';
import { Warnings } from '@fastmeter/sdk/internal';
import { intOption } from '../options.js';
import { DropCause, MESSAGE_TYPE, PROTOCOL_VERSION, type PrimaryMessage, isClusterMessage, payloadBytes } from '../protocol/messages.js';
import { ProtocolError } from '../protocol/wire.js';
import type {
  ClusterFlushResult,
  ClusterLike,
  ClusterMetrics,
  ClusterMetricsOptions,
  ClusterMetricsStats,
  ClusterWorkerInfo,
  ClusterWorkerLike,
} from './api.js';
import { registerClusterSelfMetrics } from './self-metrics.js';
import { type PrimaryContext, type PrimaryInstrument, Session } from './session.js';

const MAX_EXITED = 32;

function info(s: Session, now: number): ClusterWorkerInfo {
  return { id: s.worker.id, pid: s.worker.pid, session: s.id, syncs: s.syncs, lastSeq: s.lastSeq, bytes: s.bytes, series: s.series, age: now - s.lastSyncMs };
}

interface WorkerEntry {
  /** Sessions sending now (one per ClusterWorker in the worker). */
  readonly sessions: Map<number, Session>;
  /** Sessions that ended while the worker lives on (bye, reset): reported once it exits. */
  readonly ended: Session[];
  /** Per-worker series of ended sessions: removed after the retention once the worker exits. */
  readonly held: (readonly [PrimaryInstrument, Attributes])[];
}

interface FlushRound {
  readonly promise: Promise<ClusterFlushResult>;
}

class ClusterMetricsImpl implements ClusterMetrics {
  /** By cluster worker id. */
  private readonly _workers = new Map<number, WorkerEntry>();
  private readonly _ctx: PrimaryContext;
  private readonly _warnings = new Warnings();
  private readonly _cluster: ClusterLike;
  private readonly _flushTimeoutMs: number;
  private readonly _retentionMs: number;
  private readonly _unhook: () => void;
  private readonly _removals = new Set<ReturnType<typeof setTimeout>>();
  private _round: FlushRound | null = null;
  private _flushId = 0;
  private _waiters: { session: Session; id: number; resolve: () => void }[] = [];
  private _closed = false;
  private readonly _exited: ClusterWorkerInfo[] = [];
  readonly counters = { syncs: 0, bytes: 0, series: 0, flushes: 0, flushTimeouts: 0, exited: 0 };
  readonly dropped: Record<DropCause, number> = {
    queue_full: 0,
    instrument_limit: 0,
    unsupported: 0,
    series_limit: 0,
    refused: 0,
    malformed: 0,
  };
  private readonly _onMessage = (worker: ClusterWorkerLike, message: unknown) => this._message(worker, message);
  private readonly _onDisconnect = (worker: ClusterWorkerLike) => this._gone(worker);
  private readonly _onExit = (worker: ClusterWorkerLike) => {
    if (!worker.isConnected()) this._gone(worker);
  };

  constructor(provider: FastMeterProvider, options: ClusterMetricsOptions) {
    const wa = options.workerAttribute;
    if (wa !== undefined && wa !== 'pid' && wa !== 'id') {
      throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `attachClusterMetrics: workerAttribute must be 'pid' or 'id', got ${String(wa)}`);
    }
    const key = options.workerAttributeKey;
    if (key !== undefined && (typeof key !== 'string' || key === '')) {
      throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `attachClusterMetrics: workerAttributeKey must be a non-empty string, got ${String(key)}`);
    }
    for (const flag of ['freshOnCollect', 'selfMetrics'] as const) {
      if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
        throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `attachClusterMetrics: ${flag} must be a boolean, got ${String(options[flag])}`);
      }
    }
    this._flushTimeoutMs = intOption('attachClusterMetrics', options, 'flushTimeoutMs', 500, 1, 600_000);
    this._retentionMs = intOption('attachClusterMetrics', options, 'exitedWorkerRetentionMs', 60_000, 0, 2 ** 31 - 1);
    const counters = this.counters;
    const dropped = this.dropped;
    this._ctx = {
      provider,
      workerAttribute: wa === undefined ? null : { key: key ?? (wa === 'pid' ? 'process.pid' : 'cluster.worker.id'), value: wa },
      maxSeries: intOption('attachClusterMetrics', options, 'maxSeriesPerWorker', 200_000, 1, 1 << 24),
      maxInstruments: intOption('attachClusterMetrics', options, 'maxInstrumentsPerWorker', 2000, 1, 1 << 16),
      instruments: new Map<string, PrimaryInstrument>(),
      drop: (cause, n) => (dropped[cause] += n),
      warn: (k, message) => this._warnings.warn(k, message),
      seriesDelta: n => (counters.series += n),
    };
    this._cluster = options.cluster ?? (cluster as unknown as ClusterLike);
    if (options.cluster === undefined && !cluster.isPrimary) {
      throw new FastMeterConfigError(
        ErrorCode.INVALID_OPTION,
        'attachClusterMetrics runs in the cluster primary; in a worker, add new ClusterWorker() to the readers',
      );
    }
    this._cluster.on('message', this._onMessage);
    this._cluster.on('disconnect', this._onDisconnect);
    this._cluster.on('exit', this._onExit);
    const fresh = options.freshOnCollect === true;
    this._unhook = provider.addCollectHook(async () => {
      if (fresh && !this._closed) await this.flush();
    });
    if (options.selfMetrics === true) registerClusterSelfMetrics(provider, this);
  }

  // ---- messages -----------------------------------------------------------------------------

  private _message(worker: ClusterWorkerLike, message: unknown): void {
    if (!isClusterMessage(message)) return;
    const session = message.session;
    if (typeof session !== 'number') return;
    if (message.v !== PROTOCOL_VERSION) {
      this._warnings.warn(
        'version',
        `fastmeter cluster: worker ${worker.id} speaks protocol version ${String(message.v)}, this primary ${PROTOCOL_VERSION}: use the same @fastmeter/cluster version in both`,
      );
      return;
    }
    try {
      if (message.op === 'hello') this._hello(worker, session, (message as { probe?: unknown }).probe instanceof Uint8Array);
      else if (message.op === 'sync') this._sync(worker, session, message as unknown as { seq: unknown; flush: unknown; drops: unknown; data: unknown });
      else if (message.op === 'bye') this._bye(worker, session);
    } catch (err) {
      // Never into node:cluster's event emitter: a failure here costs this message, counted.
      this.dropped.malformed++;
      this._warnings.warn('apply', `fastmeter cluster: a message from worker ${worker.id} could not be applied: ${String(err)}`);
    }
  }

  private _hello(worker: ClusterWorkerLike, id: number, binary: boolean): void {
    if (this._closed) return;
    let entry = this._workers.get(worker.id);
    if (entry === undefined) this._workers.set(worker.id, (entry = { sessions: new Map(), ended: [], held: [] }));
    if (!entry.sessions.has(id)) entry.sessions.set(id, new Session({ id: worker.id, pid: worker.process.pid ?? 0 }, id, binary, this._ctx));
    this._send(worker, { type: MESSAGE_TYPE, v: PROTOCOL_VERSION, op: 'welcome', session: id, binary });
  }

  private _sync(worker: ClusterWorkerLike, id: number, message: { seq: unknown; flush: unknown; drops: unknown; data: unknown }): void {
    if (this._closed) return;
    const session = this._workers.get(worker.id)?.sessions.get(id);
    const bytes = payloadBytes(message.data);
    if (session === undefined || bytes === null) {
      // A session this primary does not know (it attached after the worker's hello, or was re-attached):
      // the worker starts a new one and defines its series again. This message's data is lost.
      this.dropped.malformed++;
      this._send(worker, { type: MESSAGE_TYPE, v: PROTOCOL_VERSION, op: 'reset', session: id });
      return;
    }
    const drops = message.drops;
    if (typeof drops === 'object' && drops !== null) {
      for (const cause of [DropCause.QUEUE_FULL, DropCause.INSTRUMENT_LIMIT, DropCause.UNSUPPORTED] as const) {
        const n = (drops as Record<string, unknown>)[cause];
        if (typeof n === 'number' && n > 0 && Number.isFinite(n)) this.dropped[cause] += n;
      }
    }
    try {
      session.apply(bytes);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // Definitions in it may be missing now: start the session over.
      this._retire(session);
      this._send(worker, { type: MESSAGE_TYPE, v: PROTOCOL_VERSION, op: 'reset', session: id });
      throw err;
    }
    session.syncs++;
    session.bytes += bytes.length;
    session.lastSeq = typeof message.seq === 'number' ? message.seq : session.lastSeq;
    session.lastSyncMs = Date.now();
    this.counters.syncs++;
    this.counters.bytes += bytes.length;
    const flush = typeof message.flush === 'number' ? message.flush : 0;
    if (flush > session.answered) {
      session.answered = flush;
      this._settle();
    }
  }

  /** The worker's reader shut down (after its last sync): it sends nothing more in this session. */
  private _bye(worker: ClusterWorkerLike, id: number): void {
    const session = this._workers.get(worker.id)?.sessions.get(id);
    if (session === undefined) return;
    this._retire(session);
    this._settle();
  }

  private _send(worker: ClusterWorkerLike, message: PrimaryMessage): void {
    try {
      worker.send(message, () => {}); // with a callback: a closed channel reports there, not as an 'error' event
    } catch {}
  }

  // ---- workers leaving ----------------------------------------------------------------------

  /** The worker's IPC channel closed: every message it sent has been applied. */
  private _gone(worker: ClusterWorkerLike): void {
    const entry = this._workers.get(worker.id);
    if (entry === undefined) return;
    for (const session of [...entry.sessions.values()]) this._retire(session);
    this._workers.delete(worker.id);
    this.counters.exited++;
    const now = Date.now();
    for (const session of entry.ended) {
      this._exited.push(info(session, now));
      if (this._exited.length > MAX_EXITED) this._exited.shift();
    }
    if (entry.held.length > 0) {
      // Per-worker series of a worker that is gone: their last values stay for a while, then leave the export.
      const held = entry.held;
      const timer = setTimeout(() => {
        this._removals.delete(timer);
        for (const [inst, attrs] of held) removeSeries(inst.api, attrs);
      }, this._retentionMs);
      timer.unref?.();
      this._removals.add(timer);
    }
    this._settle();
  }

  /** A session ends (bye, reset, its worker gone): its handles are released; what it sent stays. */
  private _retire(session: Session): void {
    const entry = this._workers.get(session.worker.id);
    if (entry?.sessions.get(session.id) !== session) return;
    entry.sessions.delete(session.id);
    entry.ended.push(session);
    if (entry.ended.length > MAX_EXITED) entry.ended.shift();
    for (const series of session.close()) entry.held.push(series);
  }

  // ---- flush --------------------------------------------------------------------------------

  flush(timeoutMs = this._flushTimeoutMs): Promise<ClusterFlushResult> {
    if (this._round !== null) return this._round.promise;
    const asked: Session[] = [];
    const id = ++this._flushId;
    for (const [workerId, entry] of this._workers) {
      for (const session of entry.sessions.values()) {
        const worker = this._workerOf(workerId);
        if (worker === null) continue;
        asked.push(session);
        this._send(worker, { type: MESSAGE_TYPE, v: PROTOCOL_VERSION, op: 'flush', session: session.id, id });
      }
    }
    if (asked.length === 0) return Promise.resolve({ asked: 0, answered: 0 });
    this.counters.flushes++;
    const answers = asked.map(session => new Promise<void>(resolve => this._waiters.push({ session, id, resolve })));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const promise = Promise.race([Promise.all(answers), new Promise<void>(resolve => (timer = setTimeout(resolve, timeoutMs)))]).then(() => {
      clearTimeout(timer);
      this._round = null;
      const answered = asked.filter(s => s.answered >= id || !this._isLive(s)).length;
      this.counters.flushTimeouts += asked.length - answered;
      this._waiters = this._waiters.filter(w => w.id !== id);
      return { asked: asked.length, answered };
    });
    this._round = { promise };
    return promise;
  }

  private _settle(): void {
    if (this._waiters.length === 0) return;
    this._waiters = this._waiters.filter(w => {
      if (w.session.answered < w.id && this._isLive(w.session)) return true;
      w.resolve();
      return false;
    });
  }

  private _isLive(session: Session): boolean {
    return this._workers.get(session.worker.id)?.sessions.get(session.id) === session;
  }

  private _workerOf(id: number): ClusterWorkerLike | null {
    const workers = (this._cluster as { workers?: Record<string, ClusterWorkerLike | undefined> }).workers;
    return workers?.[id] ?? null;
  }

  // ---- introspection and close --------------------------------------------------------------

  stats(): ClusterMetricsStats {
    const now = Date.now();
    const workers: ClusterWorkerInfo[] = [];
    for (const entry of this._workers.values()) {
      for (const s of entry.sessions.values()) workers.push(info(s, now));
    }
    return { workers, ...this.counters, dropped: { ...this.dropped }, exitedWorkers: [...this._exited] };
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._cluster.off('message', this._onMessage);
    this._cluster.off('disconnect', this._onDisconnect);
    this._cluster.off('exit', this._onExit);
    this._unhook();
    for (const timer of this._removals) clearTimeout(timer);
    this._removals.clear();
    for (const entry of this._workers.values()) for (const session of [...entry.sessions.values()]) this._retire(session);
    this._workers.clear();
    this._settle();
  }
}

/**
 * The primary's side of @fastmeter/cluster: workers' data (sent by their
 * `ClusterWorker` reader) is merged into `provider`'s instruments, so the
 * provider's readers export one combined set.
 *
 * ```js
 * const provider = new FastMeterProvider({ readers: [new PrometheusExporter({ port: 9464 })] });
 * attachClusterMetrics(provider);
 * for (let i = 0; i < 4; i++) cluster.fork();
 * ```
 */
export function attachClusterMetrics(provider: FastMeterProvider, options: ClusterMetricsOptions = {}): ClusterMetrics {
  if (provider === null || typeof provider !== 'object' || typeof (provider as Partial<FastMeterProvider>).addCollectHook !== 'function') {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, 'attachClusterMetrics needs a FastMeterProvider from @fastmeter/sdk');
  }
  return new ClusterMetricsImpl(provider, options ?? {});
}
