import { type Attributes, type Counter, type Gauge, type Histogram, type Observable, type UpDownCounter, context } from '@opentelemetry/api';
import type { MetricStream } from '../collect/stream.js';
import { applyProcessors } from '../view/attributes-processor.js';
import { type InstrumentInternals, kInternals, warnIfIncompatibleCopy } from './instruments.js';

/**
 * Removes one series of an instrument now, from every stream and reader (for a
 * view with a custom attributes processor: the series that processor maps
 * `attributes` to in the active context): its
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
  if (internals === undefined) {
    warnIfIncompatibleCopy(instrument, 'removeSeries');
    return false;
  }
  if (internals.copy.removeSeries !== removeSeries) return internals.copy.removeSeries(instrument, attributes);
  let removed = false;
  for (const stream of internals.streams) {
    const attrs = mapped(stream, attributes);
    const sid = attrs === null ? -1 : stream.series.peek(attrs);
    if (sid >= 0 && stream.remove(sid)) removed = true;
  }
  return removed;
}

/**
 * The attributes a stream interns for `attributes`: a view's custom attributes
 * processor is applied in the active context, as for a measurement made here
 * and now. If it throws, the stream has no such series (null finds nothing).
 */
function mapped(stream: MetricStream, attributes: Attributes | undefined): Attributes | undefined | null {
  if (stream.mapping.kind !== 'dynamic') return attributes;
  try {
    return applyProcessors(stream.mapping.processors, attributes ?? {}, context.active());
  } catch {
    return null;
  }
}
