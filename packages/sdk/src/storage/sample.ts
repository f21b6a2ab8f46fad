import type { Cells } from './cells.js';
import { ExponentialCells } from './exponential-cells.js';
import { HistogramCells, histogramWrite } from './histogram-cells.js';

/** Records one sample into histogram cells (explicit or exponential). Used off the hot path only. */
export function recordSample(cells: Cells, sid: number, value: number): void {
  if (cells instanceof HistogramCells) {
    histogramWrite(cells, sid, value);
  } else if (cells instanceof ExponentialCells) {
    cells.state(sid).record(value);
  }
}
