import type { Cells } from './cells.js';
import { ExponentialCells } from './exponential-cells.js';
import { HistogramCells, bucketIndex } from './histogram-cells.js';

/** Records one sample into histogram cells (explicit or exponential). Used off the hot path only. */
export function recordSample(cells: Cells, sid: number, value: number): void {
  if (cells instanceof HistogramCells) {
    cells.counts[sid * cells.stride + bucketIndex(cells.bounds, value)] += 1;
    cells.count[sid] += 1;
    cells.sum[sid] += value;
    if (cells.recordMinMax) {
      cells.min[sid] = Math.min(value, cells.min[sid]);
      cells.max[sid] = Math.max(value, cells.max[sid]);
    }
  } else if (cells instanceof ExponentialCells) {
    cells.state(sid).record(value);
  }
}
