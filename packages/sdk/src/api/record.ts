// The record functions of synchronous instruments. Each is chosen when the
// instrument is created, from what configuration determines (value check,
// aggregation, layout); nothing on the record path tests an option.
//
// One function literal per (aggregation, layout) keeps every call site inside
// monomorphic: a counter's add never shares type feedback with a histogram's.
import { type Attributes, type Context, ValueType, context as contextApi } from '@opentelemetry/api';
import { InstrumentType } from '../common/enums.js';
import { DropReason, type Health, describe } from '../common/health.js';
import type { InstrumentDescriptor } from '../common/types.js';
import { Layout, type MetricStream } from '../collect/stream.js';
import { type HistogramCells, bucketIndex } from '../storage/histogram-cells.js';
import type { ExponentialCells } from '../storage/exponential-cells.js';
import type { LastValueCells } from '../storage/last-value-cells.js';
import { recordSample } from '../storage/sample.js';
import type { SumCells } from '../storage/sum-cells.js';
import { applyProcessors } from '../view/attributes-processor.js';

export type RecordFunction = (value: number, attributes?: Attributes, context?: Context) => void;

/** Shared by every instrument that no reader will ever read. */
export const NOOP_RECORD: RecordFunction = () => {};

/**
 * The slow path of the value check: drops (returning NaN) with a count and a
 * rate-limited warning, or returns the value to record (INT instruments
 * truncate fractional values, as sdk-metrics does).
 */
export class ValueCheck {
  readonly monotonic: boolean;
  readonly int: boolean;
  constructor(
    private readonly _descriptor: InstrumentDescriptor,
    private readonly _health: Health,
  ) {
    this.monotonic = _descriptor.type === InstrumentType.COUNTER || _descriptor.type === InstrumentType.HISTOGRAM;
    this.int = _descriptor.valueType === ValueType.INT;
  }

  slow(value: unknown): number {
    const name = this._descriptor.name;
    if (typeof value !== 'number') {
      this._health.drop(DropReason.NOT_A_NUMBER, name, `value must be a number, got ${describe(value)}`);
      return Number.NaN;
    }
    if (value !== value) {
      this._health.drop(DropReason.NAN, name, 'value is NaN');
      return Number.NaN;
    }
    if (value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) {
      this._health.drop(DropReason.INFINITE, name, `value is ${value}`);
      return Number.NaN;
    }
    if (this.monotonic && value < 0) {
      this._health.drop(DropReason.NEGATIVE, name, `${this._descriptor.type.toLowerCase()} values must not be negative, got ${value}`);
      return Number.NaN;
    }
    if (this.int && Math.trunc(value) !== value) {
      this._health.truncated++;
      this._health.warn(`truncate:${name}`, `fastmeter: INT instrument "${name}" got ${value}; the fractional digits are ignored`);
      return Math.trunc(value);
    }
    return value;
  }
}

/** True when `value` can be recorded as is (the fast path's whole check). */
export function accept(value: unknown, monotonic: boolean, int: boolean): value is number {
  return (
    typeof value === 'number' && (monotonic ? value >= 0 && value < Number.POSITIVE_INFINITY : value - value === 0) && (!int || Math.trunc(value) === value)
  );
}

export function createRecordFunction(streams: readonly MetricStream[], check: ValueCheck): RecordFunction {
  if (streams.length === 0) return NOOP_RECORD;
  if (streams.length > 1 || streams[0].mapping.kind === 'dynamic') return multiStreamRecorder(streams, check);
  const stream = streams[0];
  const cumulativeOnly = stream.layout === Layout.CUMULATIVE_ONLY;
  switch (stream.spec.kind) {
    case 'sum':
      return cumulativeOnly ? sumCumulative(stream, check) : sumInterval(stream, check);
    case 'lastValue':
      return cumulativeOnly ? lastValueCumulative(stream, check) : lastValueInterval(stream, check);
    case 'histogram':
      return cumulativeOnly ? histogramCumulative(stream, check) : histogramInterval(stream, check);
    default:
      return exponential(stream, check);
  }
}

function sumCumulative(stream: MetricStream, check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  const series = stream.series;
  const cells = stream.cells as SumCells;
  return function add(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const sid = series.get(attributes);
    if (sid < 0) return;
    cells.values[sid] += value;
    stream.touched[sid] = 1;
  };
}

function sumInterval(stream: MetricStream, check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  const series = stream.series;
  const cells = stream.cells as SumCells;
  return function add(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const sid = series.get(attributes);
    if (sid < 0) return;
    if (stream.touched[sid] === 0) stream.firstTouch(sid);
    cells.values[sid] += value;
  };
}

function lastValueCumulative(stream: MetricStream, check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  const series = stream.series;
  const cells = stream.cells as LastValueCells;
  return function record(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const sid = series.get(attributes);
    if (sid < 0) return;
    cells.values[sid] = value;
    stream.touched[sid] = 1;
  };
}

function lastValueInterval(stream: MetricStream, check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  const series = stream.series;
  const cells = stream.cells as LastValueCells;
  return function record(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const sid = series.get(attributes);
    if (sid < 0) return;
    if (stream.touched[sid] === 0) stream.firstTouch(sid);
    cells.values[sid] = value;
  };
}

function histogramCumulative(stream: MetricStream, check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  const series = stream.series;
  const cells = stream.cells as HistogramCells;
  const bounds = cells.bounds;
  const stride = cells.stride;
  const minMax = cells.recordMinMax;
  return function record(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const sid = series.get(attributes);
    if (sid < 0) return;
    cells.counts[sid * stride + bucketIndex(bounds, value)] += 1;
    cells.count[sid] += 1;
    cells.sum[sid] += value;
    if (minMax) {
      if (value < cells.min[sid]) cells.min[sid] = value;
      if (value > cells.max[sid]) cells.max[sid] = value;
    }
    stream.touched[sid] = 1;
  };
}

function histogramInterval(stream: MetricStream, check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  const series = stream.series;
  const cells = stream.cells as HistogramCells;
  const bounds = cells.bounds;
  const stride = cells.stride;
  const minMax = cells.recordMinMax;
  return function record(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const sid = series.get(attributes);
    if (sid < 0) return;
    if (stream.touched[sid] === 0) stream.firstTouch(sid);
    cells.counts[sid * stride + bucketIndex(bounds, value)] += 1;
    cells.count[sid] += 1;
    cells.sum[sid] += value;
    if (minMax) {
      if (value < cells.min[sid]) cells.min[sid] = value;
      if (value > cells.max[sid]) cells.max[sid] = value;
    }
  };
}

function exponential(stream: MetricStream, check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  const series = stream.series;
  const cells = stream.cells as ExponentialCells;
  const cumulativeOnly = stream.layout === Layout.CUMULATIVE_ONLY;
  return function record(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const sid = series.get(attributes);
    if (sid < 0) return;
    if (cumulativeOnly) stream.touched[sid] = 1;
    else if (stream.touched[sid] === 0) stream.firstTouch(sid);
    cells.state(sid).record(value);
  };
}

/** Several streams (several views, or readers choosing different aggregations), or a context-dependent processor. */
function multiStreamRecorder(streams: readonly MetricStream[], check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  const needsContext = streams.some(s => s.mapping.kind === 'dynamic');
  return function record(value: number, attributes?: Attributes, ctx?: Context) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const active = needsContext && ctx === undefined ? contextApi.active() : ctx;
    for (let i = 0; i < streams.length; i++) recordInto(streams[i], value, attributes, active);
  };
}

function recordInto(stream: MetricStream, value: number, attributes: Attributes | undefined, ctx: Context | undefined): void {
  const mapping = stream.mapping;
  if (mapping.kind === 'dynamic') {
    try {
      attributes = applyProcessors(mapping.processors, attributes ?? {}, ctx as Context);
    } catch (err) {
      stream.series.reportProcessorError(err);
      return;
    }
  }
  const sid = stream.series.get(attributes);
  if (sid < 0) return;
  if (stream.layout === Layout.CUMULATIVE_ONLY) stream.touched[sid] = 1;
  else if (stream.touched[sid] === 0) stream.firstTouch(sid);
  switch (stream.spec.kind) {
    case 'sum':
      (stream.cells as SumCells).values[sid] += value;
      return;
    case 'lastValue':
      (stream.cells as LastValueCells).values[sid] = value;
      return;
    default:
      recordSample(stream.cells, sid, value);
  }
}
