// Bound handles: the attributes are interned once, at bind time, and the
// handle's add/record writes one slot. The handle stays valid across
// collections and delta resets (its series is pinned: never reclaimed), and
// respects the cardinality limit (binding past the limit yields the overflow
// series). View attribute processors are applied once, at bind time.
//
// This is fastmeter's extension; the OpenTelemetry specification's "Bound
// instruments" (Development status) describe the same idea.
import { type Attributes, type Context, type Counter, type Gauge, type Histogram, type UpDownCounter, context as contextApi } from '@opentelemetry/api';
import type { MetricStream } from '../collect/stream.js';
import { Layout } from '../collect/stream.js';
import { HistogramCells, histogramWrite } from '../storage/histogram-cells.js';
import type { LastValueCells } from '../storage/last-value-cells.js';
import { recordSample } from '../storage/sample.js';
import type { SumCells } from '../storage/sum-cells.js';
import { applyProcessors } from '../view/attributes-processor.js';
import { type InstrumentInternals, kInternals } from './instruments.js';
import { ValueCheck, accept } from './record.js';
import { writeWeighted } from './weighted.js';

export interface BoundCounter {
  /** Adds `value` to the bound series. */
  add(value: number): void;
  /** Releases the series (it may then be reclaimed); later calls do nothing. */
  unbind(): void;
}

export interface BoundHistogram {
  /** Records `value` into the bound series. */
  record(value: number): void;
  /**
   * Adds pre-aggregated explicit-bucket data into the bound series: `counts[i]`
   * values fell in bucket i of the instrument's boundaries (length
   * boundaries + 1), with the given total, sum, min and max. For integrations
   * that aggregate elsewhere (e.g. @fastmeter/workers). Streams whose aggregation
   * is not an explicit-bucket histogram with exactly these boundaries are skipped;
   * returns false if any was.
   */
  merge(delta: HistogramDelta): boolean;
  /** Releases the series (it may then be reclaimed); later calls do nothing. */
  unbind(): void;
}

type Write = (value: number) => void;

export interface HistogramDelta {
  readonly boundaries: readonly number[];
  readonly counts: ArrayLike<number>;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Binds a synchronous instrument to an attribute set. Works with any
 * `@opentelemetry/api` instrument: instruments not created by fastmeter get a
 * handle that simply forwards to `add`/`record` with the bound attributes.
 */
export function bind(instrument: Counter | UpDownCounter, attributes?: Attributes, context?: Context): BoundCounter;
export function bind(instrument: Histogram | Gauge, attributes?: Attributes, context?: Context): BoundHistogram;
export function bind(instrument: Counter | UpDownCounter | Histogram | Gauge, attributes?: Attributes, context?: Context): BoundCounter | BoundHistogram {
  const isAdd = typeof (instrument as Counter).add === 'function';
  const internals = (instrument as unknown as { [kInternals]?: InstrumentInternals })[kInternals];
  if (internals === undefined) return foreignHandle(instrument, isAdd, attributes);
  const { streams, descriptor, processors, health } = internals;
  const check = new ValueCheck(descriptor, health);
  const slots = streams.map(stream => bindStream(stream, attributes, context)).filter((s): s is BoundSlot => s !== null);
  let live = true;
  let write: Write = slots.length === 1 ? slotWriter(slots[0]) : multiWriter(slots);
  const { monotonic, int } = check;
  const checked: Write = (value: number) => {
    if (!live) return;
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    write(value);
  };
  let entry: Write = checked;
  if (processors.length > 0) {
    // Processors see bound measurements as calls with the bound attributes.
    let fn = (value: number) => checked(value);
    let wrapped: (value: number, attrs?: Attributes, ctx?: Context) => void = fn;
    const recordWeighted = (value: number, weight: number) => {
      if (!live) return;
      if (!accept(value, monotonic, int)) {
        value = check.slow(value);
        if (value !== value) return;
      }
      if (!(weight > 0 && weight < Number.POSITIVE_INFINITY)) return;
      for (const slot of slots) writeWeighted(slot.stream, slot.sid, value, weight);
    };
    for (const p of processors) wrapped = p.wrap(descriptor, wrapped, { recordWeighted });
    fn = value => wrapped(value, attributes, context);
    entry = fn;
  }
  const unbind = () => {
    if (!live) return;
    live = false;
    write = () => {};
    for (const slot of slots) slot.stream.series.unpin(slot.sid);
  };
  if (isAdd) return { add: entry, unbind };
  const merge = (delta: HistogramDelta) => live && mergeHistogram(slots, delta);
  return { record: entry, merge, unbind };
}

function mergeHistogram(slots: readonly BoundSlot[], delta: HistogramDelta): boolean {
  if (delta.count === 0) return true;
  let complete = true;
  for (const { stream, sid } of slots) {
    const cells = stream.cells;
    if (!(cells instanceof HistogramCells) || !sameBoundaries(cells.boundaries, delta.boundaries) || delta.counts.length !== cells.stride) {
      complete = false;
      continue;
    }
    if (stream.layout === Layout.CUMULATIVE_ONLY) stream.touched[sid] = 1;
    else if (stream.touched[sid] === 0) stream.firstTouch(sid);
    const base = sid * cells.stride;
    for (let i = 0; i < cells.stride; i++) cells.counts[base + i] += delta.counts[i];
    cells.count[sid] += delta.count;
    cells.sum[sid] += delta.sum;
    if (cells.recordMinMax) {
      if (delta.min < cells.min[sid]) cells.min[sid] = delta.min;
      if (delta.max > cells.max[sid]) cells.max[sid] = delta.max;
    }
  }
  return complete;
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

interface BoundSlot {
  readonly stream: MetricStream;
  readonly sid: number;
}

function bindStream(stream: MetricStream, attributes: Attributes | undefined, context: Context | undefined): BoundSlot | null {
  let attrs = attributes;
  if (stream.mapping.kind === 'dynamic') {
    try {
      attrs = applyProcessors(stream.mapping.processors, attributes ?? {}, context ?? contextApi.active());
    } catch (err) {
      stream.series.reportProcessorError(err);
      return null;
    }
  }
  const sid = stream.series.get(attrs);
  if (sid < 0) return null;
  stream.series.pin(sid);
  return { stream, sid };
}

/** One function literal per cell kind and layout, as for unbound record functions. */
function slotWriter({ stream, sid }: BoundSlot): Write {
  const cumulativeOnly = stream.layout === Layout.CUMULATIVE_ONLY;
  switch (stream.spec.kind) {
    case 'sum': {
      const cells = stream.cells as SumCells;
      if (cumulativeOnly)
        return function boundAdd(value: number) {
          cells.values[sid] += value;
          stream.touched[sid] = 1;
        };
      return function boundAddInterval(value: number) {
        if (stream.touched[sid] === 0) stream.firstTouch(sid);
        cells.values[sid] += value;
      };
    }
    case 'lastValue': {
      const cells = stream.cells as LastValueCells;
      return function boundSet(value: number) {
        if (cumulativeOnly) stream.touched[sid] = 1;
        else if (stream.touched[sid] === 0) stream.firstTouch(sid);
        cells.values[sid] = value;
      };
    }
    case 'histogram': {
      const cells = stream.cells as HistogramCells;
      return function boundRecord(value: number) {
        if (cumulativeOnly) stream.touched[sid] = 1;
        else if (stream.touched[sid] === 0) stream.firstTouch(sid);
        histogramWrite(cells, sid, value);
      };
    }
    default:
      return function boundSample(value: number) {
        if (cumulativeOnly) stream.touched[sid] = 1;
        else if (stream.touched[sid] === 0) stream.firstTouch(sid);
        recordSample(stream.cells, sid, value);
      };
  }
}

function multiWriter(slots: readonly BoundSlot[]): Write {
  const writers = slots.map(slotWriter);
  return (value: number) => {
    for (let i = 0; i < writers.length; i++) writers[i](value);
  };
}

function foreignHandle(
  instrument: Counter | UpDownCounter | Histogram | Gauge,
  isAdd: boolean,
  attributes: Attributes | undefined,
): BoundCounter | BoundHistogram {
  let live = true;
  const unbind = () => {
    live = false;
  };
  if (isAdd) {
    const counter = instrument as Counter;
    return { add: (value: number) => live && counter.add(value, attributes), unbind };
  }
  const histogram = instrument as Histogram;
  return { record: (value: number) => live && histogram.record(value, attributes), merge: () => false, unbind };
}
