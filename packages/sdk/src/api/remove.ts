import type { Attributes, Counter, Gauge, Histogram, Observable, UpDownCounter } from '@opentelemetry/api';
import { type InstrumentInternals, kInternals } from './instruments.js';

/**
 * Removes one series of an instrument now, from every stream and reader: its
 * data leaves the export (including what no reader has collected yet) and its
 * slot is freed. A later measurement with the same attributes starts a new
 * series with a new start time. Returns true if a series was removed; false if
 * there was none, if the instrument is not fastmeter's, or if a bound handle
 * holds the series (unbind it first). Never throws.
 *
 * The Prometheus-style answer to series that are gone for good (a deleted
 * queue, a closed tenant) in cumulative streams, which otherwise keep every
 * series they ever saw.
 */
export function removeSeries(instrument: Counter | UpDownCounter | Histogram | Gauge | Observable, attributes?: Attributes): boolean {
  const internals = (instrument as { [kInternals]?: InstrumentInternals } | null)?.[kInternals];
  if (internals === undefined) return false;
  let removed = false;
  for (const stream of internals.streams) {
    let sid = -1;
    if (stream.mapping.kind !== 'dynamic') sid = stream.series.peek(attributes);
    if (sid >= 0 && stream.remove(sid)) removed = true;
  }
  return removed;
}
