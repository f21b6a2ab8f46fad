// Weighted records for measurement processors (see ProcessorContext): a value
// that stands for `weight` measurements. Built only for instruments of a
// provider that has processors, so the unweighted record functions
// (record.ts) are not touched.
import { type Attributes, type Context, context as contextApi } from '@opentelemetry/api';
import { Layout, type MetricStream } from '../collect/stream.js';
import { ExponentialCells } from '../storage/exponential-cells.js';
import { HistogramCells, bucketIndex } from '../storage/histogram-cells.js';
import type { LastValueCells } from '../storage/last-value-cells.js';
import type { SumCells } from '../storage/sum-cells.js';
import { applyProcessors } from '../view/attributes-processor.js';
import type { WeightedRecordFunction } from './processor.js';
import { type ValueCheck, accept } from './record.js';

export function createWeightedRecordFunction(streams: readonly MetricStream[], check: ValueCheck): WeightedRecordFunction {
  const { monotonic, int } = check;
  const needsContext = streams.some(s => s.mapping.kind === 'dynamic');
  return function recordWeighted(value: number, weight: number, attributes?: Attributes, ctx?: Context) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    if (!(weight > 0 && weight < Number.POSITIVE_INFINITY)) return;
    const active = needsContext && ctx === undefined ? contextApi.active() : ctx;
    for (let i = 0; i < streams.length; i++) {
      const stream = streams[i];
      let attrs = attributes;
      const mapping = stream.mapping;
      if (mapping.kind === 'dynamic') {
        try {
          attrs = applyProcessors(mapping.processors, attributes ?? {}, active as Context);
        } catch (err) {
          stream.series.reportProcessorError(err);
          continue;
        }
      }
      const sid = stream.series.get(attrs);
      if (sid >= 0) writeWeighted(stream, sid, value, weight);
    }
  };
}

/** Records `value` with `weight` into series `sid` of `stream` (also used by bound handles). */
export function writeWeighted(stream: MetricStream, sid: number, value: number, weight: number): void {
  if (stream.layout === Layout.CUMULATIVE_ONLY) stream.touched[sid] = 1;
  else if (stream.touched[sid] === 0) stream.firstTouch(sid);
  const cells = stream.cells;
  switch (stream.spec.kind) {
    case 'sum':
      (cells as SumCells).values[sid] += value * weight;
      return;
    case 'lastValue':
      (cells as LastValueCells).values[sid] = value;
      return;
  }
  if (cells instanceof HistogramCells) {
    cells.counts[sid * cells.stride + bucketIndex(cells.bounds, value)] += weight;
    cells.count[sid] += weight;
    cells.sum[sid] += value * weight;
    if (cells.recordMinMax) {
      if (value < cells.min[sid]) cells.min[sid] = value;
      if (value > cells.max[sid]) cells.max[sid] = value;
    }
  } else if (cells instanceof ExponentialCells) {
    cells.state(sid).addValue(value, weight);
  }
}
