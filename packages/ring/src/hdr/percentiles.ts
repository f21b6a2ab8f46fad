// Percentiles of raw values with µs precision, beside the bucket-interpolated
// ones: selected histograms also feed their raw values into hdr-histogram-js
// (HdrHistogram, 3 significant digits by default), one HDR histogram per time
// window, kept for as long as the ring holds points. `hdr_quantile(q, h[5m])`
// merges the windows of the last 5 minutes and asks HDR; `histogram_quantile`
// answers from the buckets. Bucket interpolation is only as precise as the
// bucket bounds (p99 lands somewhere in e.g. 5–7.5 s); HDR's relative error is
// 10^-digits (0.1 % at 3 digits).
//
//   processors: [hdr]   ──► wrap(histogram) ──► record(v): next(v) + window.recordValue(v × scale)
//   ring collection     ──► rotate the window when it is over (no clock read per record)
//
// Cost: ~100 ns per recorded value (hdr-histogram-js, JS; research/next-anchors.md §D), so
// select the histograms that need it. This module loads hdr-histogram-js, which is why
// it is a separate entry point: `@fastmeter/ring/hdr`.
import type { InstrumentDescriptor, MeasurementProcessor, RecordFunction } from '@fastmeter/sdk';
import * as hdr from 'hdr-histogram-js';
import { RingConfigError, RingErrorCode } from '../errors.js';
import type { RingBufferReader } from '../reader.js';

type Histogram = ReturnType<typeof hdr.build>;

export interface HdrPercentilesOptions {
  /** The histogram instruments whose raw values are kept: names, or a predicate on the instrument's descriptor. */
  instruments: readonly string[] | ((instrument: { name: string; unit: string }) => boolean);
  /** Width of one window, ms. Default 10,000. */
  windowMillis?: number;
  /** Windows kept. Default: enough to cover the ring (slots × interval). */
  windows?: number;
  /** HDR precision, 1 to 5 significant digits. Default 3. */
  significantDigits?: number;
  /**
   * Multiplier to integers before recording: by default from the unit, to
   * microseconds (`s` → 1e6, `ms` → 1e3, `us` → 1, `ns` → 1e-3); other units 1.
   */
  scale?: number;
}

/** What hdr_quantile and report() answer for one instrument. */
export interface PercentileReport {
  readonly quantile: number;
  /** From the raw values (HDR); undefined when no value was recorded in the range. */
  readonly hdr: number | undefined;
  /** From the buckets the ring holds (histogram_quantile over the summed rate); NaN when unknown. */
  readonly buckets: number;
  /** Values HDR saw in the range. */
  readonly count: number;
}

class Recorder {
  readonly windows: Histogram[] = [];
  /** Start (ms) of each window; windows[0] is the current one. */
  readonly starts: number[] = [];
  current: Histogram;
  constructor(
    readonly name: string,
    readonly scale: number,
    private readonly _digits: number,
    start: number,
  ) {
    this.current = this._make();
    this.windows.push(this.current);
    this.starts.push(start);
  }

  private _make(): Histogram {
    return hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 2,
      numberOfSignificantValueDigits: this._digits as 1 | 2 | 3 | 4 | 5,
      autoResize: true,
    });
  }

  rotate(now: number, width: number, keep: number): void {
    if (now - this.starts[0] < width) return;
    // Reuse the oldest window's histogram once all are in use.
    let next: Histogram;
    if (this.windows.length >= keep) {
      next = this.windows.pop() as Histogram;
      this.starts.pop();
      next.reset();
    } else next = this._make();
    this.windows.unshift(next);
    this.starts.unshift(now - ((now - this.starts[0]) % width));
    this.current = next;
  }
}

export class HdrPercentiles implements MeasurementProcessor {
  private readonly _recorders = new Map<string, Recorder>();
  private readonly _select: (instrument: { name: string; unit: string }) => boolean;
  private readonly _width: number;
  private readonly _keep: number;
  private readonly _digits: number;
  private readonly _scale: number | undefined;
  private readonly _scratch: Histogram;

  constructor(
    private readonly _ring: RingBufferReader,
    options: HdrPercentilesOptions,
  ) {
    const list = options?.instruments;
    if (typeof list === 'function') this._select = list;
    else if (Array.isArray(list) && list.every(n => typeof n === 'string')) {
      const names = new Set(list);
      this._select = i => names.has(i.name);
    } else throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'hdr: instruments must be an array of names or a predicate');
    this._width = options.windowMillis ?? 10_000;
    if (!(this._width >= 1)) throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'hdr: windowMillis must be positive');
    const retention = _ring.options.slots * _ring.options.intervalMillis;
    this._keep = options.windows ?? Math.max(1, Math.ceil(retention / this._width) + 1);
    if (!Number.isInteger(this._keep) || this._keep < 1 || this._keep > 100_000) {
      throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'hdr: windows must be an integer from 1 to 100,000');
    }
    this._digits = options.significantDigits ?? 3;
    if (!Number.isInteger(this._digits) || this._digits < 1 || this._digits > 5) {
      throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'hdr: significantDigits must be an integer from 1 to 5');
    }
    this._scale = options.scale;
    if (this._scale !== undefined && !(this._scale > 0)) throw new RingConfigError(RingErrorCode.INVALID_OPTION, 'hdr: scale must be positive');
    this._scratch = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 2, numberOfSignificantValueDigits: this._digits as 3, autoResize: true });
    // Windows turn over at the ring's collections: nothing on the record path reads a clock.
    _ring.subscribe(() => this.rotate());
    _ring.attachPercentiles(this);
  }

  /** The measurement-processor seam of FastMeterProvider (`processors: [hdr]`): selected histograms also record here. */
  wrap(instrument: InstrumentDescriptor, next: RecordFunction): RecordFunction {
    if (instrument.type !== 'HISTOGRAM' || !this._select(instrument)) return next;
    const recorder = this._recorder(instrument.name, instrument.unit);
    const scale = recorder.scale;
    return function record(value, attributes, context) {
      next(value, attributes, context);
      if (value >= 0 && value < Number.POSITIVE_INFINITY) recorder.current.recordValue(Math.round(value * scale));
    };
  }

  /** Records a raw value by hand (for providers without processors, e.g. sdk-metrics'). Unselected names are ignored. */
  record(name: string, value: number, unit = ''): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) return;
    let recorder = this._recorders.get(name);
    if (recorder === undefined) {
      if (!this._select({ name, unit })) return;
      recorder = this._recorder(name, unit);
    }
    recorder.current.recordValue(Math.round(value * recorder.scale));
  }

  private _recorder(name: string, unit: string): Recorder {
    let r = this._recorders.get(name);
    if (r === undefined) {
      r = new Recorder(name, this._scale ?? unitScale(unit), this._digits, this._ring.options.now());
      this._recorders.set(name, r);
    }
    return r;
  }

  /** Starts a new window where the current one is over (called at every ring collection). */
  rotate(now = this._ring.options.now()): void {
    for (const r of this._recorders.values()) r.rotate(now, this._width, this._keep);
  }

  /** The quantile (0..1) of the values recorded for `name` in windows overlapping (start, end]; undefined when none. */
  quantile(name: string, q: number, start: number, end: number): { value: number; count: number } | undefined {
    const r = this._recorders.get(name);
    if (r === undefined || !(q >= 0 && q <= 1)) return undefined;
    const acc = this._scratch;
    acc.reset();
    for (let i = 0; i < r.windows.length; i++) {
      const ws = r.starts[i];
      const we = i === 0 ? Number.POSITIVE_INFINITY : r.starts[i - 1];
      if (we > start && ws <= end) acc.add(r.windows[i]);
    }
    if (acc.totalCount === 0) return undefined;
    return { value: acc.getValueAtPercentile(q * 100) / r.scale, count: acc.totalCount };
  }

  /** hdr_quantile() and the bucket answer beside it, for one instrument over `range` ms ending at `time` (default now). */
  report(name: string, quantiles: readonly number[], options: { range?: number; time?: number } = {}): PercentileReport[] {
    const end = options.time ?? this._ring.options.now();
    const range = options.range ?? 60_000;
    const sel = `{${JSON.stringify(name)}}[${Math.max(1, Math.round(range))}ms]`;
    return quantiles.map(q => {
      const h = this.quantile(name, q, end - range, end);
      let buckets = Number.NaN;
      try {
        buckets = this._ring.query(`histogram_quantile(${q}, sum(rate(${sel})))`, { time: end }).samples[0]?.value ?? Number.NaN;
      } catch {}
      return { quantile: q, hdr: h?.value, buckets, count: h?.count ?? 0 };
    });
  }

  /** Names with a recorder, for listings. */
  instruments(): string[] {
    return [...this._recorders.keys()].sort();
  }
}

/** Integers at µs resolution for time units. */
function unitScale(unit: string): number {
  switch (unit) {
    case 's':
      return 1e6;
    case 'ms':
      return 1e3;
    case 'us':
    case 'µs':
      return 1;
    case 'ns':
      return 1e-3;
    default:
      return 1;
  }
}
