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
import { type HistogramCells, histogramWrite } from '../storage/histogram-cells.js';
import type { LastValueCells } from '../storage/last-value-cells.js';
import { recordSample } from '../storage/sample.js';
import type { SumCells } from '../storage/sum-cells.js';
import { applyProcessors } from '../view/attributes-processor.js';
import { type InstrumentInternals, kInternals, warnIfIncompatibleCopy } from './instruments.js';
import { DropReason } from '../common/health.js';
import { describeValue } from '../common/warnings.js';
import { composeProcessors } from './processor.js';
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
  const internals = (instrument as unknown as { [kInternals]?: InstrumentInternals } | null)?.[kInternals];
  if (internals === undefined) {
    warnIfIncompatibleCopy(instrument, 'bind');
    return foreignHandle(instrument, isAdd, attributes);
  }
  // An instrument of the other build of this package (ESM / CommonJS): its own copy binds it.
  if (internals.copy.bind !== bind) return internals.copy.bind(instrument, attributes, context) as BoundCounter | BoundHistogram;
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
    const recordWeighted = (value: number, weight: number) => {
      if (!live) return;
      if (!accept(value, monotonic, int)) {
        value = check.slow(value);
        if (value !== value) return;
      }
      if (!(weight > 0 && weight < Number.POSITIVE_INFINITY)) return;
      for (const slot of slots) writeWeighted(slot.stream, slot.sid, value, weight);
    };
    const wrapped = composeProcessors(processors, descriptor, (value: number) => checked(value), { recordWeighted }, health);
    entry = value => wrapped(value, attributes, context);
  }
  const unbind = () => {
    if (!live) return;
    live = false;
    write = () => {};
    for (const slot of slots) slot.stream.series.unpin(slot.sid);
  };
  if (isAdd) return { add: entry, unbind };
  const merge = (delta: HistogramDelta) => {
    if (!live) return false;
    const problem = checkDelta(delta, monotonic);
    if (problem !== null) {
      health.drop(DropReason.INVALID_HISTOGRAM_DELTA, descriptor.name, `merge() refused a histogram delta: ${problem}`);
      return false;
    }
    return mergeHistogram(slots, delta);
  };
  return { record: entry, merge, unbind };
}

/**
 * Why `delta` cannot be merged, or null. A merged delta is as trusted as the
 * values it summarises: single values that are NaN, infinite or (on a
 * Histogram) negative are dropped, so a delta claiming them is refused whole,
 * as is one whose count is not the sum of its bucket counts.
 */
function checkDelta(delta: HistogramDelta, monotonic: boolean): string | null {
  if (delta === null || typeof delta !== 'object') return `the delta must be an object, got ${describeValue(delta)}`;
  const { boundaries, counts, count, sum, min, max } = delta;
  if (!Array.isArray(boundaries)) return `boundaries must be an array, got ${describeValue(boundaries)}`;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return `count must be a non-negative integer, got ${describeValue(count)}`;
  if (counts === null || typeof counts !== 'object' || typeof counts.length !== 'number') return `counts must be an array, got ${describeValue(counts)}`;
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) return `counts[${i}] must be a non-negative integer, got ${describeValue(c)}`;
    total += c;
  }
  if (total !== count) return `count ${count} is not the sum of the bucket counts (${total})`;
  if (count === 0) return null;
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    return `min and max must be finite numbers with min <= max, got ${describeValue(min)} and ${describeValue(max)}`;
  }
  // Finite values may still sum to ±Infinity (record(1e308) twice), as the histogram's own sum does.
  if (typeof sum !== 'number' || !(Number.isFinite(sum) || sumOverflowed(sum, count, min, max)))
    return `sum must be a finite number, got ${describeValue(sum)}`;
  if (monotonic && (min < 0 || sum < 0)) return `histogram values must not be negative, got min ${min}`;
  return null;
}

/** True when `count` values within [min, max] can sum past ±MAX_VALUE to `sum` (±Infinity). */
function sumOverflowed(sum: number, count: number, min: number, max: number): boolean {
  const bound = (Number.MAX_VALUE / count) * (1 - 1e-9); // one value at least this large (rounding allowance)
  return sum === Number.POSITIVE_INFINITY ? max >= bound : sum === Number.NEGATIVE_INFINITY && min <= -bound;
}

function mergeHistogram(slots: readonly BoundSlot[], delta: HistogramDelta): boolean {
  if (delta.count === 0) return true;
  let complete = true;
  for (const { stream, sid } of slots) {
    const cells = stream.cells as HistogramCells;
    if (stream.spec.kind !== 'histogram' || !sameBoundaries(cells.boundaries, delta.boundaries) || delta.counts.length !== cells.stride) {
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
