// One reader's collection of one stream, as columns. `MetricStream.snapshot`
// does a collection's bookkeeping (drain, delta reset, reclaim, eviction) and
// copies the values of the exported series out of the cells in one synchronous
// step; `collect()` turns a snapshot into sdk-metrics' DataPoint objects, and
// companion packages (@fastmeter/exporters) serialise it directly, in slices,
// while recording goes on: the copy is what keeps each stream one consistent
// snapshot however long the serialisation takes.
//
//   point i ──► sids[i] (series id: attributes), startMs[i], values at i
//
// Values are dense per point, in point order:
//   number       values[i]
//   histogram    counts[i * stride .. (i + 1) * stride), count[i], sum[i], min[i], max[i]
//   exponential  values[i] (an ExponentialHistogram object, built at snapshot time)
import type { Attributes } from '@opentelemetry/api';
import type { AggregationTemporality } from '../common/enums.js';
import { millisToHrTime } from '../common/time.js';
import type { DataPoint, ExponentialHistogram, Histogram } from '../common/types.js';
import type { Cells } from '../storage/cells.js';
import { ExponentialCells } from '../storage/exponential-cells.js';
import { HistogramCells } from '../storage/histogram-cells.js';

export interface NumberColumns {
  readonly kind: 'number';
  readonly values: Float64Array;
}

export interface HistogramColumns {
  readonly kind: 'histogram';
  /** The stream's bounds (exported as is, shared by every point). */
  readonly boundaries: number[];
  /** boundaries.length + 1 bucket counts per point. */
  readonly stride: number;
  readonly counts: Float64Array;
  readonly count: Float64Array;
  /** null when the instrument kind exports no sum (values may be negative). */
  readonly sum: Float64Array | null;
  /** null when min/max are not recorded; a point has them only when its count is above 0. */
  readonly min: Float64Array | null;
  readonly max: Float64Array | null;
}

export interface ExponentialColumns {
  readonly kind: 'exponential';
  readonly values: ExponentialHistogram[];
}

export type SnapshotValues = NumberColumns | HistogramColumns | ExponentialColumns;

export class StreamSnapshot {
  constructor(
    readonly temporality: AggregationTemporality,
    /** Number of points. */
    readonly count: number,
    /** Series id of each point (index into the stream's attributes). */
    readonly sids: Int32Array,
    /** Start time of each point, ms since the epoch. */
    readonly startMs: Float64Array,
    readonly values: SnapshotValues,
  ) {}
}

/** Copies the values of `sids[0..count)` out of `cells`, dense in point order. */
export function gather(cells: Cells, sids: Int32Array, count: number): SnapshotValues {
  if (cells instanceof HistogramCells) return gatherHistograms(cells, sids, count);
  if (cells instanceof ExponentialCells) {
    const values = new Array<ExponentialHistogram>(count);
    for (let i = 0; i < count; i++) values[i] = cells.value(sids[i]);
    return { kind: 'exponential', values };
  }
  // SumCells and LastValueCells: one float64 per series.
  const from = (cells as unknown as { values: Float64Array }).values;
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = from[sids[i]];
  return { kind: 'number', values };
}

function gatherHistograms(cells: HistogramCells, sids: Int32Array, count: number): HistogramColumns {
  const stride = cells.stride;
  const counts = new Float64Array(count * stride);
  const total = new Float64Array(count);
  const sum = cells.omitSum ? null : new Float64Array(count);
  const min = cells.recordMinMax ? new Float64Array(count) : null;
  const max = cells.recordMinMax ? new Float64Array(count) : null;
  for (let i = 0; i < count; i++) {
    const sid = sids[i];
    const from = sid * stride;
    const to = i * stride;
    for (let b = 0; b < stride; b++) counts[to + b] = cells.counts[from + b];
    total[i] = cells.count[sid];
    if (sum !== null) sum[i] = cells.sum[sid];
    if (min !== null) (min as Float64Array)[i] = cells.min[sid];
    if (max !== null) (max as Float64Array)[i] = cells.max[sid];
  }
  return { kind: 'histogram', boundaries: cells.boundaries, stride, counts, count: total, sum, min, max };
}

/** The value of point `i` as sdk-metrics exports it (a number, or a fresh Histogram / ExponentialHistogram). */
export function pointValue(values: SnapshotValues, i: number): unknown {
  switch (values.kind) {
    case 'number':
      return values.values[i];
    case 'exponential':
      return values.values[i];
    default:
      return histogramValue(values, i);
  }
}

function histogramValue(h: HistogramColumns, i: number): Histogram {
  const counts = new Array<number>(h.stride);
  for (let b = 0; b < h.stride; b++) counts[b] = h.counts[i * h.stride + b];
  const hasMinMax = h.min !== null && h.count[i] > 0;
  return {
    min: hasMinMax ? (h.min as Float64Array)[i] : undefined,
    max: hasMinMax ? (h.max as Float64Array)[i] : undefined,
    sum: h.sum === null ? undefined : h.sum[i],
    buckets: { boundaries: h.boundaries, counts },
    count: h.count[i],
  };
}

/** sdk-metrics' DataPoint objects for a snapshot; `attributes` is indexed by series id. */
export function snapshotPoints(snapshot: StreamSnapshot, attributes: readonly (Attributes | undefined)[], endTime: [number, number]): DataPoint<unknown>[] {
  const points = new Array<DataPoint<unknown>>(snapshot.count);
  for (let i = 0; i < snapshot.count; i++) {
    points[i] = {
      attributes: attributes[snapshot.sids[i]] as Attributes,
      startTime: millisToHrTime(snapshot.startMs[i]),
      endTime,
      value: pointValue(snapshot.values, i),
    };
  }
  return points;
}
