import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, MetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider, type FastMeterProviderOptions } from '@fastmeter/sdk';
import { type WorkerMetrics, type WorkerMetricsHandle, type WorkerMetricsOptions, attachWorkerMetrics } from '@fastmeter/workers';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const WORKER = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
/** The test process resolves the "source" export condition (TypeScript); workers load dist like any application. */
export const WORKER_EXEC_ARGV = process.execArgv.filter(
  a => !a.startsWith('--conditions') && a !== '-C' && !a.startsWith('--import') && !a.startsWith('--loader'),
);

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

function fresh(): boolean {
  const built = join(PACKAGE, 'dist/cjs/package.json');
  return existsSync(built) && statSync(join(PACKAGE, 'dist/esm/index.js')).mtimeMs >= newest(join(PACKAGE, 'src'));
}

/**
 * Worker threads load the built package (dist), the test thread its sources:
 * both must be the same code. Builds when dist is missing or older than src
 * (one test file at a time, under a lock file).
 */
export function ensureBuilt(): void {
  if (fresh()) return;
  const lock = join(PACKAGE, '.build.lock');
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; ; i++) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      // A lock left by a killed test process is stale after two minutes (a build takes seconds).
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) unlinkSync(lock);
      if (i > 1200) throw new Error(`${lock} held for two minutes: remove it`);
      Atomics.wait(sleep, 0, 0, 100);
    }
  }
  try {
    if (!fresh()) execFileSync(process.execPath, ['../../scripts/build-package.mjs'], { cwd: PACKAGE, stdio: 'inherit' });
  } finally {
    unlinkSync(lock);
  }
}

/** A pull reader like PrometheusExporter's, without the HTTP server. */
export class TestReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export const deltaReader = () => new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });

export function setup(options: WorkerMetricsOptions = {}, providerOptions: FastMeterProviderOptions = {}) {
  const readers = (providerOptions.readers as TestReader[] | undefined) ?? [new TestReader()];
  const provider = new FastMeterProvider({ ...providerOptions, readers });
  const workers = attachWorkerMetrics(provider, options);
  return { provider, readers, reader: readers[0], workers };
}

export interface Point {
  attributes: Attributes;
  value: any;
}

/** Collects once: metric name -> points sorted by attributes. */
export async function points(reader: MetricReader): Promise<Record<string, Point[]>> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors, 'collect errors');
  const out: Record<string, Point[]> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const list = (out[metric.descriptor.name] ??= []);
      for (const p of metric.dataPoints as Point[]) list.push({ attributes: p.attributes, value: p.value });
      list.sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
    }
  }
  return out;
}

/** Sum of the values (sums, gauges) or counts (histograms) of a metric's points. */
export function total(list: Point[] | undefined): number {
  return (list ?? []).reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.count), 0);
}

/** Throws unless every histogram point is internally consistent (count = sum of buckets). */
export function assertWellFormed(all: Record<string, Point[]>): void {
  for (const [name, list] of Object.entries(all)) {
    for (const p of list) {
      if (typeof p.value !== 'object') continue;
      const buckets = p.value.buckets.counts.reduce((a: number, b: number) => a + b, 0);
      if (buckets !== p.value.count) throw new Error(`${name} ${JSON.stringify(p.attributes)}: count ${p.value.count} but buckets sum to ${buckets}`);
      if (p.value.count > 0 && !(p.value.min <= p.value.max)) throw new Error(`${name}: min ${p.value.min} > max ${p.value.max}`);
    }
  }
}

/** A test worker (fixtures/worker.mjs) and a request/response channel to its scenarios. */
export class TestWorker {
  readonly worker: Worker;
  readonly ready: Promise<{ lane: number; threadId: number }>;
  readonly exited: Promise<number>;
  private _next = 0;
  private readonly _pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();

  constructor(handle: WorkerMetricsHandle, data: Record<string, unknown> = {}) {
    this.worker = new Worker(WORKER, { workerData: { handle, ...data }, execArgv: WORKER_EXEC_ARGV });
    this.exited = new Promise(resolve => this.worker.once('exit', resolve));
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', msg => {
        if (msg.ready) return resolve(msg);
        const pending = this._pending.get(msg.id);
        if (pending === undefined) return;
        this._pending.delete(msg.id);
        if (msg.ok) pending.resolve(msg.result);
        else pending.reject(new Error(msg.error));
      });
    });
  }

  async run<T = unknown>(scenario: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.ready;
    const id = this._next++;
    return new Promise<T>((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, scenario, args });
    });
  }

  /** Runs a scenario without waiting for it. */
  start(scenario: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const p = this.run(scenario, args);
    p.catch(() => {});
    return p;
  }
}

/** Starts `n` tracked test workers and waits until they joined. */
export async function startWorkers(workers: WorkerMetrics, n: number, data: Record<string, unknown> = {}): Promise<TestWorker[]> {
  const list = Array.from({ length: n }, () => new TestWorker(workers.handle, data));
  for (const w of list) workers.track(w.worker);
  await Promise.all(list.map(w => w.ready));
  return list;
}

export async function stopAll(list: TestWorker[]): Promise<void> {
  await Promise.all(list.map(w => w.worker.terminate()));
}
