import type { InstrumentDescriptor } from '../common/types.js';
import type { RecordFunction } from './record.js';

/**
 * The measurement-processor seam (used by @fastmeter/processors: sampling,
 * circuit breakers, backpressure). A processor sees each synchronous
 * instrument once, when it is created, and returns the record function to use:
 * `next` itself to stay out of the way, or a function that decides whether and
 * how to call `next`. Nothing is added to the record path when no processor is
 * configured.
 */
export interface MeasurementProcessor {
  wrap(instrument: InstrumentDescriptor, next: RecordFunction): RecordFunction;
}
