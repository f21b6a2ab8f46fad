// Runtime metrics, the equivalent of prom-client's collectDefaultMetrics, with
// the names, units, descriptions, instrument kinds and attributes that
// @opentelemetry/instrumentation-runtime-node uses (so its dashboards work;
// test/runtime-metrics.test.ts compares them name for name), plus the
// semantic-convention process metrics (process.cpu.*, process.memory.usage).
//
// Implemented on plain observable instruments: no instrumentation object is
// created (the register entry must not create one, see README), and nothing
// runs between collections except what Node does anyway: the event-loop delay
// histogram (a libuv timer, 10 ms resolution as instrumentation-runtime-node)
// and a PerformanceObserver for GC entries.
//
// If the real instrumentation-runtime-node starts later on the same provider
// (auto-instrumentations-node enables it by default), these step aside:
// callbacks observe nothing and the GC series recorded so far are removed, so
// no metric is exported twice.
import { constants, type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import { removeSeries } from '@fastmeter/sdk';
import { type Attributes, type Histogram, type Meter, type Observable, type ObservableResult, ValueType } from '@opentelemetry/api';

export const RUNTIME_NODE_SCOPE = '@opentelemetry/instrumentation-runtime-node';

const GC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const GC_ATTRIBUTES = Object.fromEntries(Object.entries(GC_KINDS).map(([k, v]) => [k, Object.freeze({ 'v8js.gc.type': v })]));
const ACTIVE = Object.freeze({ 'nodejs.eventloop.state': 'active' });
const IDLE = Object.freeze({ 'nodejs.eventloop.state': 'idle' });
const USER = Object.freeze({ 'cpu.mode': 'user' });
const SYSTEM = Object.freeze({ 'cpu.mode': 'system' });

/** Observed values are 0 rather than NaN when the histogram has no sample. */
const finite = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);

export class RuntimeMetrics {
  private _delay: IntervalHistogram | undefined = undefined;
  private _gcObserver: PerformanceObserver | undefined = undefined;
  private _gcHistogram: Histogram | undefined = undefined;
  private _lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private _lastCpu: NodeJS.CpuUsage = process.cpuUsage();
  private _lastCpuAt: number = performance.now();
  private _active = false;
  private _heapSpaceAttributes = new Map<string, Readonly<{ 'v8js.heap.space.name': string }>>();
  private _resourceAttributes = new Map<string, Readonly<{ 'v8js.resource.type': string }>>();
  /** Every instrument with the attribute sets it may have reported, for stepAside(). */
  private _series: [Observable | Histogram, () => Iterable<Attributes | undefined>][] = [];

  /** Creates the instruments on `meter` and starts the two samplers. */
  start(meter: Meter): void {
    this._active = true;

    const none = () => [undefined];
    const track = <T extends Observable | Histogram>(instrument: T, attributes: () => Iterable<Attributes | undefined> = none): T => {
      this._series.push([instrument, attributes]);
      return instrument;
    };
    const gauge = (name: string, description: string, unit: string, attributes?: () => Iterable<Attributes | undefined>) =>
      track(meter.createObservableGauge(name, { description, unit }), attributes);

    gauge('nodejs.eventloop.utilization', 'Event loop utilization', '1').addCallback(r => this._utilization(r));
    track(
      meter.createObservableCounter('nodejs.eventloop.time', { description: 'Cumulative duration of time the event loop has been in each state.', unit: 's' }),
      () => [ACTIVE, IDLE],
    ).addCallback(r => {
      if (!this._active) return;
      const elu = performance.eventLoopUtilization();
      r.observe(elu.active / 1000, ACTIVE);
      r.observe(elu.idle / 1000, IDLE);
    });

    const delay = {
      min: gauge('nodejs.eventloop.delay.min', 'Event loop minimum delay.', 's'),
      max: gauge('nodejs.eventloop.delay.max', 'Event loop maximum delay.', 's'),
      mean: gauge('nodejs.eventloop.delay.mean', 'Event loop mean delay.', 's'),
      stddev: gauge('nodejs.eventloop.delay.stddev', 'Event loop standard deviation delay.', 's'),
      p50: gauge('nodejs.eventloop.delay.p50', 'Event loop 50 percentile delay.', 's'),
      p90: gauge('nodejs.eventloop.delay.p90', 'Event loop 90 percentile delay.', 's'),
      p99: gauge('nodejs.eventloop.delay.p99', 'Event loop 99 percentile delay.', 's'),
    };
    this._delay = monitorEventLoopDelay({ resolution: 10 });
    this._delay.enable();
    meter.addBatchObservableCallback(r => {
      const h = this._delay;
      // Like instrumentation-runtime-node: nothing until 5 samples, then the window since the last collection.
      if (!this._active || h === undefined || h.count < 5) return;
      r.observe(delay.min, finite(h.min));
      r.observe(delay.max, finite(h.max));
      r.observe(delay.mean, finite(h.mean));
      r.observe(delay.stddev, finite(h.stddev));
      r.observe(delay.p50, finite(h.percentile(50)));
      r.observe(delay.p90, finite(h.percentile(90)));
      r.observe(delay.p99, finite(h.percentile(99)));
      h.reset();
    }, Object.values(delay));

    this._gcHistogram = track(
      meter.createHistogram('v8js.gc.duration', {
        description: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
        unit: 's',
        valueType: ValueType.DOUBLE,
        advice: { explicitBucketBoundaries: GC_BUCKETS },
      }),
      () => Object.values(GC_ATTRIBUTES),
    );
    const gcHistogram = this._gcHistogram as Histogram;
    this._gcObserver = new PerformanceObserver(list => {
      if (!this._active) return;
      for (const entry of list.getEntries()) {
        const kind = ((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind;
        const attributes = kind === undefined ? undefined : GC_ATTRIBUTES[kind];
        if (attributes !== undefined) gcHistogram.record(entry.duration / 1000, attributes);
      }
    });
    this._gcObserver.observe({ entryTypes: ['gc'] });

    const spaces = () => this._heapSpaceAttributes.values();
    const heap = {
      size: track(
        meter.createObservableUpDownCounter('v8js.memory.heap.space.size', {
          description: 'Total heap memory size pre-allocated for a heap space.',
          unit: 'By',
        }),
        spaces,
      ),
      used: gauge('v8js.memory.heap.used', 'Heap Memory size allocated.', 'By', spaces),
      available: gauge('v8js.memory.heap.space.available_size', 'Heap space available size.', 'By', spaces),
      physical: gauge('v8js.memory.heap.space.physical_size', 'Committed size of a heap space.', 'By', spaces),
    };
    meter.addBatchObservableCallback(r => {
      if (!this._active) return;
      for (const space of getHeapSpaceStatistics()) {
        const attributes = this._heapSpace(space.space_name);
        r.observe(heap.size, space.space_size, attributes);
        r.observe(heap.used, space.space_used_size, attributes);
        r.observe(heap.available, space.space_available_size, attributes);
        r.observe(heap.physical, space.physical_space_size, attributes);
      }
    }, Object.values(heap));

    gauge('v8js.resource.active', 'Count of the active resources that are currently keeping the event loop alive.', '{resource}', () =>
      this._resourceAttributes.values(),
    ).addCallback(r => {
      if (!this._active) return;
      const counts = new Map<string, number>();
      for (const type of process.getActiveResourcesInfo()) {
        counts.set(type, (counts.get(type) ?? 0) + 1);
        if (!this._resourceAttributes.has(type)) this._resourceAttributes.set(type, Object.freeze({ 'v8js.resource.type': type }));
      }
      // A type seen once is reported as 0 when it is gone, as instrumentation-runtime-node does.
      for (const [type, attributes] of this._resourceAttributes) r.observe(counts.get(type) ?? 0, attributes);
    });

    // Semantic-convention process metrics (not in instrumentation-runtime-node; host-metrics has them).
    const modes = () => [USER, SYSTEM];
    track(
      meter.createObservableCounter('process.cpu.time', { description: 'Total CPU seconds broken down by different CPU modes.', unit: 's' }),
      modes,
    ).addCallback(r => {
      if (!this._active) return;
      const cpu = process.cpuUsage();
      r.observe(cpu.user / 1e6, USER);
      r.observe(cpu.system / 1e6, SYSTEM);
    });
    gauge(
      'process.cpu.utilization',
      'Difference in process.cpu.time since the last measurement, divided by the elapsed time and number of CPUs available to the process.',
      '1',
      modes,
    ).addCallback(r => this._cpuUtilization(r));
    track(
      meter.createObservableUpDownCounter('process.memory.usage', {
        description: 'The amount of physical memory in use.',
        unit: 'By',
        valueType: ValueType.INT,
      }),
    ).addCallback(r => {
      if (this._active) r.observe(process.memoryUsage.rss());
    });
  }

  private _heapSpace(name: string) {
    let attributes = this._heapSpaceAttributes.get(name);
    if (attributes === undefined) this._heapSpaceAttributes.set(name, (attributes = Object.freeze({ 'v8js.heap.space.name': name })));
    return attributes;
  }

  private _utilization(r: ObservableResult): void {
    if (!this._active) return;
    const now = performance.eventLoopUtilization();
    r.observe(performance.eventLoopUtilization(now, this._lastElu).utilization);
    this._lastElu = now;
  }

  private _cpuUtilization(r: ObservableResult): void {
    if (!this._active) return;
    const now = performance.now();
    const elapsedMicros = (now - this._lastCpuAt) * 1000;
    const cpu = process.cpuUsage(this._lastCpu);
    this._lastCpu = process.cpuUsage();
    this._lastCpuAt = now;
    if (elapsedMicros <= 0) return;
    const cpus = availableParallelism();
    r.observe(cpu.user / elapsedMicros / cpus, USER);
    r.observe(cpu.system / elapsedMicros / cpus, SYSTEM);
  }

  /**
   * The real instrumentation-runtime-node is running on the same provider:
   * observe nothing from now on and remove every series reported so far
   * (cumulative streams would otherwise keep exporting their last values).
   */
  stepAside(): void {
    if (!this._active) return;
    this.stop();
    for (const [instrument, attributeSets] of this._series) for (const attributes of attributeSets()) removeSeries(instrument, attributes);
  }

  stop(): void {
    this._active = false;
    this._delay?.disable();
    this._gcObserver?.disconnect();
  }
}
