// AdaptiveSampler: a MeasurementProcessor that samples histogram records
// against a budget of kept records per second, with weights that keep count,
// sum and bucket counts unbiased. Counters, up-down counters and gauges pass
// through untouched (the sampler returns the instrument's own function).
//
// Control plane, once per interval (a timer; nothing on the record path reads
// a clock):
//   offered rate of every sampled function ──► pressure level (÷ 2^level)
//     ──► total budget shared between instruments (max-min fair)
//     ──► each instrument's budget shared between its functions (the
//         instrument and its bound handles, i.e. per series where a series is bound)
//     ──► k per function, tighter at once, looser with hysteresis.
import type { InstrumentDescriptor, MeasurementProcessor, ProcessorContext, ProcessorHost, RecordFunction } from '@fastmeter/sdk';
import { Warnings } from '@fastmeter/sdk/internal';
import { type PressureOptions, Pressure, type PressureSource, pressureSources } from '../pressure/pressure.js';
import { checkFunction, checkNumber } from '../options.js';
import { registerSamplerMetrics } from '../self-metrics.js';
import { type Hysteresis, adapt, waterFill } from './budget.js';
import { sampledRecord } from './record.js';
import { SamplingState } from './state.js';

export interface AdaptiveSamplerOptions {
  /**
   * Kept records per second for each histogram instrument: a number, or a
   * function of the instrument (return Infinity to never sample it). Default 10,000.
   */
  budget?: number | ((instrument: InstrumentDescriptor) => number);
  /** Kept records per second, all sampled instruments together. Default 50,000. */
  totalBudget?: number;
  /** How often p adapts, ms. Default 1000. */
  intervalMillis?: number;
  /** Loosen k only when the looser p would use at most (1 - margin) of the budget for `ticks` ticks in a row. Default { margin: 0.25, ticks: 3 }. */
  hysteresis?: { margin?: number; ticks?: number };
  /**
   * Within an interval, once a function has kept `burstFactor` × its budget's
   * worth, p halves at once (and again for every further budget's worth). Default 2.
   */
  burstFactor?: number;
  /** Record-path backpressure (see README), or false. Default: on, event-loop delay threshold 100 ms. */
  backpressure?: (PressureOptions & { sources?: PressureSource[] }) | false;
  /** Uniform random numbers in [0, 1). Default Math.random; tests pass a seeded generator. */
  random?: () => number;
}

/** One instrument name: its sampled functions (held weakly: a dropped bound handle frees its state) and its totals. */
class Group {
  readonly states: WeakRef<SamplingState>[] = [];
  rate = 0;
  /** Offered and kept calls of the intervals already closed, and what was last reported (reports never go down). */
  offeredBase = 0;
  keptBase = 0;
  reportedOffered = 0;
  reportedKept = 0;
  probability = 1;
  constructor(
    readonly name: string,
    readonly budget: number,
  ) {}
}

const DEFAULT_BUDGET = 10_000;
/** The global clock, looked up per call so that fake timers in tests apply (ticks only, never per record). */
const now = () => globalThis.performance.now();
const DEFAULT_TOTAL = 50_000;
/** Fewest kept calls a burst step allows, so that small budgets do not trip the guard on noise. */
const MIN_WINDOW_STEP = 16;

export class AdaptiveSampler implements MeasurementProcessor {
  /** Its record functions cannot throw (arithmetic, and the SDK's own functions): no try/catch guard around them. */
  readonly neverThrows = true;
  private readonly _groups = new Map<string, Group>();
  private readonly _budget: number | ((instrument: InstrumentDescriptor) => number);
  private readonly _total: number;
  private readonly _intervalMs: number;
  private readonly _hysteresis: Hysteresis;
  private readonly _burstFactor: number;
  private readonly _random: () => number;
  private readonly _pressure: Pressure | null;
  private readonly _extraSources: readonly PressureSource[];
  private readonly _hosts = new Set<ProcessorHost>();
  private readonly _warnings = new Warnings();
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _lastTick = 0;

  constructor(options: AdaptiveSamplerOptions = {}) {
    const budget = options.budget ?? DEFAULT_BUDGET;
    this._budget = typeof budget === 'function' ? budget : checkNumber('budget', budget, 0, Number.POSITIVE_INFINITY);
    this._total = checkNumber('totalBudget', options.totalBudget ?? DEFAULT_TOTAL, 0, Number.POSITIVE_INFINITY);
    this._intervalMs = checkNumber('intervalMillis', options.intervalMillis ?? 1000, 10, 3_600_000);
    this._hysteresis = {
      margin: checkNumber('hysteresis.margin', options.hysteresis?.margin ?? 0.25, 0, 0.99),
      ticks: checkNumber('hysteresis.ticks', options.hysteresis?.ticks ?? 3, 1, 1000),
    };
    this._burstFactor = checkNumber('burstFactor', options.burstFactor ?? 2, 1, 1_000_000);
    this._random = checkFunction('random', options.random ?? Math.random);
    const bp = options.backpressure;
    this._pressure =
      bp === false
        ? null
        : new Pressure({
            eventLoopDelayMillis: checkNumber('backpressure.eventLoopDelayMillis', bp?.eventLoopDelayMillis ?? 100, 0, 3_600_000),
            maxLevel: checkNumber('backpressure.maxLevel', bp?.maxLevel ?? 4, 0, 20),
            releaseTicks: checkNumber('backpressure.releaseTicks', bp?.releaseTicks ?? 3, 1, 1000),
          });
    this._extraSources = bp === false ? [] : [...(bp?.sources ?? [])];
  }

  wrap(instrument: InstrumentDescriptor, next: RecordFunction, context?: ProcessorContext): RecordFunction {
    if (instrument.type !== 'HISTOGRAM') return next;
    if (typeof context?.recordWeighted !== 'function') {
      this._warnings.warn('no-weighted', `fastmeter: AdaptiveSampler needs a @fastmeter/sdk with weighted records; "${instrument.name}" is not sampled`);
      return next;
    }
    const group = this._group(instrument);
    if (group === null) return next;
    const state = new SamplingState(this._random);
    this._setWindow(state, Number.POSITIVE_INFINITY, Math.min(group.budget, this._total) * this._factor());
    group.states.push(new WeakRef(state));
    return sampledRecord(state, next, context.recordWeighted);
  }

  attach(host: ProcessorHost): () => void {
    this._hosts.add(host);
    if (host.selfMeter !== undefined) registerSamplerMetrics(host, this);
    if (this._timer === null) {
      this._lastTick = now();
      this._pressure?.start();
      this._timer = setInterval(() => this.adapt(), this._intervalMs);
      this._timer.unref?.();
    }
    return () => {
      this._hosts.delete(host);
      if (this._hosts.size === 0 && this._timer !== null) {
        clearInterval(this._timer);
        this._timer = null;
        this._pressure?.stop();
      }
    };
  }

  /** One adaptation step (the timer calls it every `intervalMillis`; tests may call it directly). */
  adapt(): void {
    try {
      this._adapt();
    } catch (err) {
      this._warnings.warn('adapt', `fastmeter: AdaptiveSampler adaptation failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  /** Current state, for self-metrics and tests: per instrument name, and the backpressure level. */
  stats(): SamplerStats {
    const instruments: SamplerStats['instruments'] = {};
    for (const g of this._groups.values()) {
      let offered = g.offeredBase;
      let kept = g.keptBase;
      for (const ref of g.states) {
        const s = ref.deref();
        if (s === undefined) continue;
        offered += s.offered() - s.lastOffered;
        kept += s.keptTotal() - s.lastKept;
      }
      g.reportedOffered = Math.max(g.reportedOffered, offered);
      g.reportedKept = Math.max(g.reportedKept, kept);
      instruments[g.name] = { probability: g.probability, offered: g.reportedOffered, kept: g.reportedKept, offeredPerSecond: g.rate };
    }
    const p = this._pressure;
    return {
      instruments,
      pressureLevel: p?.level ?? 0,
      eventLoopDelayMillis: p?.delayMillis ?? 0,
      signals: { event_loop_delay: p?.active.event_loop_delay ?? false, export_queue: p?.active.export_queue ?? false },
    };
  }

  private _factor(): number {
    return 2 ** -(this._pressure?.level ?? 0);
  }

  private _group(instrument: InstrumentDescriptor): Group | null {
    let group = this._groups.get(instrument.name);
    if (group !== undefined) return group;
    let budget: number;
    try {
      budget = typeof this._budget === 'function' ? this._budget(instrument) : this._budget;
    } catch (err) {
      this._warnings.warn(
        `budget:${instrument.name}`,
        `fastmeter: AdaptiveSampler budget() threw for "${instrument.name}" (${(err as Error)?.message}); not sampled`,
      );
      return null;
    }
    if (typeof budget !== 'number' || !(budget >= 0)) {
      this._warnings.warn(`budget:${instrument.name}`, `fastmeter: AdaptiveSampler budget() returned ${String(budget)} for "${instrument.name}"; not sampled`);
      return null;
    }
    if (budget === Number.POSITIVE_INFINITY && this._total === Number.POSITIVE_INFINITY) return null;
    group = new Group(instrument.name, budget);
    this._groups.set(instrument.name, group);
    return group;
  }

  private _sources(): PressureSource[] {
    const out = [...this._extraSources];
    for (const host of this._hosts) out.push(...pressureSources(host));
    return out;
  }

  private _adapt(): void {
    const t = now();
    const elapsed = (t - this._lastTick) / 1000;
    if (!(elapsed > 0)) return;
    this._lastTick = t;
    if (this._pressure !== null) this._pressure.update(this._sources());
    const f = this._factor();
    const total = this._total * f;
    const groups = [...this._groups.values()];
    const live = groups.map(g => this._measure(g, elapsed));
    const cap = waterFill(
      groups.map(g => Math.min(g.rate, g.budget * f)),
      total,
    );
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      const states = live[i];
      const allowance = Math.min(g.budget * f, cap);
      const stateCap = waterFill(
        states.map(s => s.rate),
        allowance,
      );
      let weighted = 0;
      for (const s of states) {
        adapt(s, stateCap, this._hysteresis);
        this._setWindow(s, stateCap, Math.min(g.budget * f, total));
        weighted += s.rate * 2 ** -s.k;
      }
      if (g.rate > 0) g.probability = weighted / g.rate;
      else if (states.length > 0) g.probability = Math.min(...states.map(s => 2 ** -s.k));
    }
  }

  /** Offered rate of each live function of `g` over the last interval; folds their counts into the group's totals. */
  private _measure(g: Group, elapsed: number): SamplingState[] {
    const live: SamplingState[] = [];
    let write = 0;
    g.rate = 0;
    for (const ref of g.states) {
      const s = ref.deref();
      if (s === undefined) continue;
      g.states[write++] = ref;
      const offered = s.offered();
      const kept = s.keptTotal();
      s.rate = (offered - s.lastOffered) / elapsed;
      g.offeredBase += offered - s.lastOffered;
      g.keptBase += kept - s.lastKept;
      s.lastOffered = offered;
      s.lastKept = kept;
      g.rate += s.rate;
      live.push(s);
    }
    g.states.length = write;
    return live;
  }

  /** The burst guard of the next interval: `burstFactor` budget's worth of kept calls, then one more step each. */
  private _setWindow(s: SamplingState, allowance: number, ceiling: number): void {
    const perSecond = Math.min(allowance, ceiling);
    const step = perSecond === Number.POSITIVE_INFINITY ? perSecond : Math.max(MIN_WINDOW_STEP, (perSecond * this._intervalMs) / 1000);
    s.windowStep = step;
    s.windowLimit = this._burstFactor * step;
    s.resetWindow();
  }
}

export interface SamplerStats {
  instruments: Record<string, { probability: number; offered: number; kept: number; offeredPerSecond: number }>;
  pressureLevel: number;
  eventLoopDelayMillis: number;
  signals: { event_loop_delay: boolean; export_queue: boolean };
}
