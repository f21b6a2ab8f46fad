// ClusterWorker: a MetricReader for the provider of a node:cluster worker. It
// collects delta data every `intervalMs` (and when the primary asks), folds it
// into the outbox, and sends what changed to the primary as one compact message.
//
// Every message leaves at the end of a collection, in the same turn: what a
// sync carries is exactly what was recorded up to that collection (see onSync).
import { diag } from '@opentelemetry/api';
import {
  AggregationTemporality,
  AggregationType,
  type AggregationOption,
  type CollectionResult,
  ErrorCode,
  FastMeterConfigError,
  type IMetricReader,
  type MetricCollectOptions,
  type MetricProducer,
} from '@fastmeter/sdk';
import { type ReadSeam, Warnings, readSeamOf } from '@fastmeter/sdk/internal';
import { MESSAGE_TYPE, PROTOCOL_VERSION, type SyncMessage, isClusterMessage } from '../protocol/messages.js';
import { Writer } from '../protocol/wire.js';
import type { ClusterSyncInfo, ClusterWorkerOptions, ClusterWorkerStats } from './api.js';
import { type WorkerChannel, clusterChannel } from './channel.js';
import { MetricDataCollector, SeamCollector } from './collections.js';
import { Outbox } from './outbox.js';
import { intOption } from '../options.js';

/** Unanswered hellos (one per interval) before the warning that the primary does not listen. */
const HELLO_WARN_AFTER = 10;
/** Collections without data before a series id is released. */
const RELEASE_AFTER = 300;

let nextSession = (process.pid % 0x7fff) * 0x10000 + 1;

export class ClusterWorker implements IMetricReader {
  private readonly _intervalMs: number;
  private readonly _maxQueueBytes: number;
  private readonly _onSync: ((info: ClusterSyncInfo) => void) | undefined;
  private readonly _warnings = new Warnings();
  private readonly _outbox: Outbox;
  private readonly _writer = new Writer();
  private readonly _channelOption: WorkerChannel | null | undefined;
  private _channel: WorkerChannel | null = null;
  private _producer: MetricProducer | null = null;
  /** FastMeterProvider's columnar read path, when the provider has one (else reader.collect()'s objects). */
  private _seam: ReadSeam | null = null;
  private _collector: SeamCollector | MetricDataCollector | null = null;
  private _unlisten: (() => void) | null = null;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _session = 0;
  private _welcomed = false;
  private _binary = false;
  private _hellos = 0;
  private _seq = 0;
  private _written = 0;
  private _bytesSent = 0;
  private _coalesced = 0;
  private _shutdown = false;
  /** Collections run one at a time, in order. */
  private _chain: Promise<unknown> = Promise.resolve();
  private _tickQueued = false;
  private _waiters: { seq: number; resolve: () => void }[] = [];
  private _welcomeWaiters: (() => void)[] = [];

  constructor(options: ClusterWorkerOptions = {}) {
    options ??= {};
    this._intervalMs = intOption('ClusterWorker', options, 'intervalMs', 1000, 10, 3_600_000);
    this._maxQueueBytes = intOption('ClusterWorker', options, 'maxQueueBytes', 8 << 20, 1 << 16, 2 ** 31);
    if (options.onSync !== undefined && typeof options.onSync !== 'function') {
      throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, 'ClusterWorker: onSync must be a function');
    }
    this._onSync = options.onSync;
    this._channelOption = options.channel;
    this._outbox = new Outbox(
      {
        maxSeries: intOption('ClusterWorker', options, 'maxSeries', 100_000, 1, 1 << 24),
        maxInstruments: intOption('ClusterWorker', options, 'maxInstruments', 1000, 1, 1 << 16),
        maxQueueBytes: this._maxQueueBytes,
        releaseAfter: intOption('ClusterWorker', options, 'releaseAfter', RELEASE_AFTER, 1, 0xfffe),
      },
      (key, message) => this._warnings.warn(key, message),
    );
  }

  // ---- MetricReader contract ----------------------------------------------------------------

  setMetricProducer(producer: MetricProducer): void {
    if (this._producer !== null) {
      throw new FastMeterConfigError(ErrorCode.INVALID_READER, 'ClusterWorker: a reader can be registered with one MeterProvider only');
    }
    this._producer = producer;
    const seam = readSeamOf(producer);
    this._collector = seam !== undefined ? new SeamCollector(seam) : new MetricDataCollector();
    this._seam = seam ?? null;
    this._channel = this._channelOption !== undefined ? this._channelOption : clusterChannel();
    if (this._channel === null) {
      diag.warn(
        'fastmeter cluster: ClusterWorker is not running in a node:cluster worker (cluster.isWorker is false): it sends nothing. In the primary, use attachClusterMetrics(provider).',
      );
      return;
    }
    this._unlisten = this._channel.listen(
      message => this._onMessage(message),
      () => this._onDisconnect(),
    );
    this._timer = setInterval(() => this._tick(), this._intervalMs);
    this._timer.unref?.();
    this._hello();
  }

  selectAggregation(): AggregationOption {
    return { type: AggregationType.DEFAULT };
  }

  /** Delta for every instrument kind: each collection holds what changed since the previous one. */
  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.DELTA;
  }

  /** Collects now; what it returns is also sent to the primary (nothing collected here is lost to it). */
  collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    if (this._producer === null) return Promise.reject(new Error('ClusterWorker: not registered with a MeterProvider yet'));
    return this._enqueue(0, options?.timeoutMillis, undefined, true) as Promise<CollectionResult>;
  }

  /** Sends everything recorded so far and resolves once it is written to the channel (or after `timeoutMillis`, default 30 s). */
  async forceFlush(options?: { timeoutMillis?: number }): Promise<void> {
    if (this._producer === null || this._channel === null || this._shutdown) return;
    const deadline = Date.now() + (options?.timeoutMillis ?? 30_000);
    if (!this._welcomed) await this._untilWelcomed(deadline - Date.now());
    await this._enqueue(0, Math.max(1, deadline - Date.now()));
    const seq = this._seq;
    if (this._written < seq) await this._untilWritten(seq, deadline - Date.now());
  }

  /** A last forceFlush, then stops: no timer, no listener. Later calls do nothing. */
  async shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    if (this._shutdown) return;
    try {
      await this.forceFlush(options);
    } finally {
      this._shutdown = true;
      if (this._welcomed) this._channel?.send({ type: MESSAGE_TYPE, v: PROTOCOL_VERSION, op: 'bye', session: this._session }, () => {});
      this._stop();
    }
  }

  stats(): ClusterWorkerStats {
    return {
      connected: this._channel?.connected === true && !this._shutdown,
      welcomed: this._welcomed,
      session: this._session,
      seq: this._seq,
      written: this._written,
      bytesSent: this._bytesSent,
      inFlightBytes: this._outbox.inFlightBytes,
      series: this._outbox.series,
      instruments: this._outbox.instruments.length,
      coalesced: this._coalesced,
      dropped: this._outbox.totals.dropped,
      overflowed: this._outbox.totals.overflowed,
      released: this._outbox.totals.released,
    };
  }

  // ---- the cycle: collect, absorb, send -----------------------------------------------------

  private _tick(): void {
    if (!this._welcomed) this._hello();
    if (this._tickQueued) return; // the previous collection is still waiting: do not pile up
    this._tickQueued = true;
    this._enqueue(0, undefined, () => (this._tickQueued = false)).catch(err =>
      this._warnings.warn('collect', `fastmeter cluster: collection failed: ${String(err)}`),
    );
  }

  private _enqueue(flush: number, timeoutMillis: number | undefined, started?: () => void, wantResult = false): Promise<CollectionResult | undefined> {
    const run = async () => {
      started?.();
      return this._cycle(flush, timeoutMillis, wantResult);
    };
    const result = this._chain.then(run, run);
    this._chain = result.catch(() => {});
    return result;
  }

  /** One collection into the outbox, then a sync message if the channel takes one. The CollectionResult only when asked for. */
  private async _cycle(flush: number, timeoutMillis: number | undefined, wantResult: boolean): Promise<CollectionResult | undefined> {
    // A callback that never settles must not stall the worker's syncs.
    const timeout = timeoutMillis ?? Math.max(this._intervalMs, 1000);
    let result: CollectionResult | undefined;
    const seam = this._seam;
    if (seam !== null) {
      const collectionMs = Date.now();
      const collection = await seam.begin(collectionMs, timeout);
      this._reportErrors(collection.errors);
      const resourceMetrics = (this._collector as SeamCollector).absorb(this._outbox, collection, wantResult);
      if (resourceMetrics !== undefined) result = { resourceMetrics, errors: collection.errors };
    } else {
      result = await (this._producer as MetricProducer).collect({ timeoutMillis: timeout });
      this._reportErrors(result.errors);
      (this._collector as MetricDataCollector).absorb(this._outbox, result.resourceMetrics);
    }
    this._send(flush);
    return result;
  }

  private _reportErrors(errors: readonly unknown[]): void {
    if (errors.length > 0) this._warnings.warn('collect-errors', `fastmeter cluster: collection reported ${errors.length} error(s): ${String(errors[0])}`);
  }

  private _send(flush: number): void {
    const channel = this._channel;
    if (channel === null || this._shutdown || !this._welcomed) {
      this._coalesced++;
      return;
    }
    const outbox = this._outbox;
    const drops = outbox.drops;
    let hasDrops = false;
    for (const _ in drops) hasDrops = true;
    // A worker with nothing new still sends a (tiny) message every interval: the primary can then
    // tell an idle worker from a stuck one (fastmeter.cluster.sync.age).
    if (outbox.inFlightBytes >= this._maxQueueBytes) {
      this._coalesced++;
      return;
    }
    const w = this._writer;
    w.reset();
    const encoded = outbox.encode(w);
    const bytes = w.pos;
    const data = this._binary ? w.take() : Buffer.from(w.bytes.buffer, w.bytes.byteOffset, bytes).toString('base64');
    const seq = ++this._seq;
    const message: SyncMessage = {
      type: MESSAGE_TYPE,
      v: PROTOCOL_VERSION,
      op: 'sync',
      session: this._session,
      seq,
      flush,
      drops: hasDrops ? drops : undefined,
      data,
    };
    outbox.drops = {};
    outbox.inFlightBytes += bytes;
    this._bytesSent += bytes;
    const session = this._session;
    if (this._onSync !== undefined) {
      // Before the hand-off: whatever it logs exists whenever the primary got the message, even
      // when this process is killed right after the write.
      try {
        this._onSync({ seq, session, bytes, values: encoded.values, definitions: encoded.definitions, flush: flush !== 0 });
      } catch (err) {
        this._warnings.warn('on-sync', `fastmeter cluster: onSync threw: ${String(err)}`);
      }
    }
    channel.send(message, err => {
      outbox.inFlightBytes -= bytes;
      if (err !== null) {
        this._warnings.warn('send', `fastmeter cluster: a sync message to the primary failed: ${err.message}`);
        return;
      }
      if (session === this._session && seq > this._written) this._written = seq;
      this._release();
    });
  }

  // ---- the conversation with the primary ----------------------------------------------------

  private _hello(): void {
    const channel = this._channel;
    if (channel === null || this._shutdown) return;
    if (this._session === 0) this._session = nextSession++;
    this._hellos++;
    if (this._hellos === HELLO_WARN_AFTER + 1) {
      diag.warn(
        `fastmeter cluster: the primary has not answered for ${HELLO_WARN_AFTER} intervals: call attachClusterMetrics(provider) in the primary. Data is kept (coalesced) until it answers.`,
      );
    }
    channel.send({ type: MESSAGE_TYPE, v: PROTOCOL_VERSION, op: 'hello', session: this._session, pid: process.pid, probe: new Uint8Array([1]) }, () => {});
  }

  private _onMessage(message: unknown): void {
    if (!isClusterMessage(message) || message.session !== this._session || this._shutdown) return;
    const m = message as { op: string; binary?: unknown; id?: unknown };
    switch (m.op) {
      case 'welcome': {
        if (this._welcomed) return;
        this._welcomed = true;
        this._binary = m.binary === true;
        this._hellos = 0;
        for (const resolve of this._welcomeWaiters.splice(0)) resolve();
        // Data collected while waiting goes now, with a fresh collection.
        this._enqueue(0, undefined).catch(() => {});
        return;
      }
      case 'flush': {
        const id = typeof m.id === 'number' && m.id > 0 ? m.id : 0;
        if (id > 0 && this._welcomed) this._enqueue(id, undefined).catch(() => {});
        return;
      }
      case 'reset': {
        // The primary lost track of this session (it restarted attachClusterMetrics, or a message was
        // malformed): start a new one; every series with data is defined again.
        this._session = nextSession++;
        this._welcomed = false;
        this._outbox.restart();
        this._hello();
        return;
      }
    }
  }

  private _onDisconnect(): void {
    this._stop();
  }

  private _stop(): void {
    if (this._timer !== null) clearInterval(this._timer);
    this._timer = null;
    this._unlisten?.();
    this._unlisten = null;
    if (this._collector instanceof SeamCollector) this._collector.close();
    this._release(true);
    for (const resolve of this._welcomeWaiters.splice(0)) resolve();
  }

  private _untilWelcomed(ms: number): Promise<void> {
    if (this._welcomed || ms <= 0 || this._unlisten === null) return Promise.resolve();
    return new Promise(resolve => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this._welcomeWaiters.push(done);
    });
  }

  private _untilWritten(seq: number, ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise(resolve => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this._waiters.push({ seq, resolve: done });
    });
  }

  private _release(all = false): void {
    if (this._waiters.length === 0) return;
    const keep: { seq: number; resolve: () => void }[] = [];
    for (const w of this._waiters) {
      if (all || w.seq <= this._written) w.resolve();
      else keep.push(w);
    }
    this._waiters = keep;
  }
}
