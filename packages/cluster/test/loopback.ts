// In-process stand-ins for node:cluster, for the fast tests: a primary-side
// cluster emitter and worker channels that carry messages asynchronously
// through the same serialization the IPC channel uses (JSON or V8's, as
// `serialization: 'advanced'`). The suites with real processes are
// cluster.test.ts and prometheus.test.ts.
import { EventEmitter } from 'node:events';
import { deserialize, serialize } from 'node:v8';
import { MetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider, type FastMeterProviderOptions } from '@fastmeter/sdk';
import { ClusterWorker, type ClusterWorkerOptions, attachClusterMetrics, type ClusterMetricsOptions } from '../src/index.js';

export class TestReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

type Mode = 'json' | 'advanced';
const copy = (message: unknown, mode: Mode) => (mode === 'json' ? JSON.parse(JSON.stringify(message)) : deserialize(serialize(message)));

export class FakeCluster extends EventEmitter {
  readonly workers: Record<number, FakeWorker> = {};
  private _nextId = 1;
  constructor(readonly mode: Mode = 'json') {
    super();
  }
  fork(pid = 1000 + this._nextId): FakeWorker {
    const worker = new FakeWorker(this, this._nextId++, pid);
    this.workers[worker.id] = worker;
    return worker;
  }
}

export class FakeWorker {
  connected = true;
  /** While true, messages to the worker are held (a worker that does not read: SIGSTOP, a busy loop). */
  paused = false;
  /** While true, the worker's writes do not complete (the primary does not read its end of the channel). */
  blocked = false;
  private _blocked: (() => void)[] = [];
  private _held: unknown[] = [];
  private _listeners: { message: (m: unknown) => void; disconnect: () => void }[] = [];
  readonly sentToPrimary: unknown[] = [];
  readonly process: { pid: number };

  constructor(
    readonly cluster: FakeCluster,
    readonly id: number,
    pid: number,
  ) {
    this.process = { pid };
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Primary → worker. */
  send(message: object, callback: (err: Error | null) => void): boolean {
    if (!this.connected) {
      setImmediate(callback, new Error('closed'));
      return false;
    }
    const m = copy(message, this.cluster.mode);
    setImmediate(() => {
      callback(null);
      if (this.paused) this._held.push(m);
      else for (const l of this._listeners) l.message(m);
    });
    return true;
  }

  unblock(): void {
    this.blocked = false;
    for (const deliver of this._blocked.splice(0)) setImmediate(deliver);
  }

  resume(): void {
    this.paused = false;
    const held = this._held.splice(0);
    for (const m of held) for (const l of this._listeners) l.message(m);
  }

  /** The worker's end, for `new ClusterWorker({ channel })`. */
  channel() {
    return {
      send: (message: object, done: (err: Error | null) => void) => {
        if (!this.connected) {
          setImmediate(done, new Error('closed'));
          return;
        }
        const m = copy(message, this.cluster.mode);
        this.sentToPrimary.push(m);
        const deliver = () => {
          done(null);
          this.cluster.emit('message', this, m);
        };
        if (this.blocked) this._blocked.push(deliver);
        else setImmediate(deliver);
      },
      listen: (message: (m: unknown) => void, disconnect: () => void) => {
        const entry = { message, disconnect };
        this._listeners.push(entry);
        return () => {
          this._listeners = this._listeners.filter(e => e !== entry);
        };
      },
      get connected() {
        return true;
      },
    };
  }

  /** The worker process ends: its channel closes after every message in flight was delivered. */
  exit(): void {
    setImmediate(() => {
      this.connected = false;
      for (const l of this._listeners) l.disconnect();
      delete this.cluster.workers[this.id];
      this.cluster.emit('disconnect', this);
      this.cluster.emit('exit', this);
    });
  }
}

export function primary(options: ClusterMetricsOptions & { mode?: Mode } = {}, providerOptions: FastMeterProviderOptions = {}) {
  const fake = new FakeCluster(options.mode);
  const reader = new TestReader();
  const provider = new FastMeterProvider({ readers: [reader], ...providerOptions });
  const hub = attachClusterMetrics(provider, { ...options, cluster: fake as never });
  return { fake, reader, provider, hub };
}

/** A worker process' provider with a ClusterWorker reader on a fake channel. */
export function workerProvider(worker: FakeWorker, options: ClusterWorkerOptions = {}, providerOptions: FastMeterProviderOptions = {}) {
  const clusterWorker = new ClusterWorker({ intervalMs: 60_000, ...options, channel: worker.channel() });
  const provider = new FastMeterProvider({ ...providerOptions, readers: [clusterWorker, ...((providerOptions.readers as never[]) ?? [])] });
  return { provider, clusterWorker, meter: provider.getMeter('app', '1.0.0') };
}

export const tick = () => new Promise(resolve => setImmediate(resolve));
export async function settle(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

/** Points of one metric: `[attributes, value]`. */
export async function points(reader: TestReader, name: string): Promise<[Record<string, unknown>, any][]> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors);
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) return metric.dataPoints.map(p => [p.attributes, p.value]);
    }
  }
  return [];
}
