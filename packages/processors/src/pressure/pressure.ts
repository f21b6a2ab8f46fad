// Backpressure: when the process falls behind (event-loop delay over a
// threshold) or its export path backs up (a circuit breaker open or holding
// more than part of its bound), the sampler divides every budget by 2^level.
// The level rises by one per tick while a signal is on, and falls by one after
// `releaseTicks` calm ticks (hysteresis, as for k).
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { ProcessorHost } from '@fastmeter/sdk';

/** Anything whose export path can back up (a CircuitBreakerExporter). */
export interface PressureSource {
  /** True while this source wants the record path to slow down. */
  readonly underPressure: boolean;
}

/** Pressure sources attached to each provider, so that a sampler finds the breakers listed next to it in `processors`. */
const sourcesByHost = new WeakMap<ProcessorHost, Set<PressureSource>>();

export function addPressureSource(host: ProcessorHost, source: PressureSource): () => void {
  let set = sourcesByHost.get(host);
  if (set === undefined) sourcesByHost.set(host, (set = new Set()));
  set.add(source);
  return () => set.delete(source);
}

export function pressureSources(host: ProcessorHost): Iterable<PressureSource> {
  return sourcesByHost.get(host) ?? [];
}

export const Signal = { EVENT_LOOP_DELAY: 'event_loop_delay', EXPORT_QUEUE: 'export_queue' } as const;
export type Signal = (typeof Signal)[keyof typeof Signal];

export interface PressureOptions {
  /** Event-loop delay (p99 over a tick) above which the record path is under pressure, ms. 0 turns it off. Default 100. */
  eventLoopDelayMillis?: number;
  /** Highest level: budgets are divided by at most 2^maxLevel. Default 4 (÷16). */
  maxLevel?: number;
  /** Calm ticks before the level falls by one. Default 3. */
  releaseTicks?: number;
}

export class Pressure {
  level = 0;
  /** p99 event-loop delay over the last tick, ms (0 when not monitored). */
  delayMillis = 0;
  readonly active: Record<Signal, boolean> = { event_loop_delay: false, export_queue: false };
  private _calm = 0;
  private _histogram: IntervalHistogram | null = null;
  private readonly _threshold: number;
  private readonly _maxLevel: number;
  private readonly _releaseTicks: number;

  constructor(options: Required<PressureOptions>) {
    this._threshold = options.eventLoopDelayMillis;
    this._maxLevel = options.maxLevel;
    this._releaseTicks = options.releaseTicks;
  }

  start(): void {
    if (this._threshold > 0 && this._histogram === null) {
      this._histogram = monitorEventLoopDelay({ resolution: 20 });
      this._histogram.enable();
    }
  }

  stop(): void {
    this._histogram?.disable();
    this._histogram = null;
  }

  /** One tick: reads the signals and moves the level. */
  update(sources: Iterable<PressureSource>): number {
    const h = this._histogram;
    if (h !== null) {
      this.delayMillis = h.count > 0 ? h.percentile(99) / 1e6 : 0;
      h.reset();
    }
    this.active.event_loop_delay = this._threshold > 0 && this.delayMillis > this._threshold;
    let queue = false;
    for (const s of sources) if (s.underPressure) queue = true;
    this.active.export_queue = queue;
    if (this.active.event_loop_delay || queue) {
      if (this.level < this._maxLevel) this.level++;
      this._calm = 0;
    } else if (this.level > 0 && ++this._calm >= this._releaseTicks) {
      this.level--;
      this._calm = 0;
    }
    return this.level;
  }
}
