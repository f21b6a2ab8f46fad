// Cells hold the aggregated values of a stream's series, columnar: one typed
// array per field, indexed by series id. A stream records into one set of cells;
// readers that need their own interval (delta readers beside others) get cells
// of the same kind that the stream drains into at collect time.
import type { AggregationSpec } from '../aggregate/aggregation.js';
import { ExponentialCells } from './exponential-cells.js';
import { HistogramCells } from './histogram-cells.js';
import { LastValueCells } from './last-value-cells.js';
import { SumCells } from './sum-cells.js';

export interface Cells {
  /** Makes room for series ids below `n` (geometric growth; existing slots kept). */
  grow(n: number): void;
  /** Empties the slot of `sid`. */
  clear(sid: number): void;
  /**
   * Folds slot `sid` of `src` (cells of the same kind) into this one.
   * Returns true when the source replaced the value (an observable counter reset).
   */
  mergeFrom(src: Cells, sid: number): boolean;
  /** The exported value of `sid`: a number, or a fresh Histogram / ExponentialHistogram object. */
  value(sid: number): unknown;
}

export const INITIAL_CAPACITY = 4;

export function nextCapacity(current: number, needed: number): number {
  let cap = Math.max(current, INITIAL_CAPACITY);
  while (cap < needed) cap *= 2;
  return cap;
}

export function createCells(spec: AggregationSpec, allowsNegative: boolean, trackResets: boolean): Cells {
  switch (spec.kind) {
    case 'sum':
      return new SumCells(trackResets && spec.monotonic);
    case 'lastValue':
      return new LastValueCells();
    case 'histogram':
      return new HistogramCells(spec.boundaries, spec.recordMinMax, allowsNegative);
    case 'exponential':
      return new ExponentialCells(spec.maxSize, spec.recordMinMax, allowsNegative);
    case 'drop':
      throw new Error('a dropped stream has no cells');
  }
}
