// The sampler's record path. At p = 1 a call costs a compare and one counter
// increment before `next`, the instrument's own record function; a skipped
// call costs a compare and a decrement. No clock read, no allocation.
import type { RecordFunction, WeightedRecordFunction } from '@fastmeter/sdk';
import type { SamplingState } from './state.js';

export function sampledRecord(s: SamplingState, next: RecordFunction, weighted: WeightedRecordFunction): RecordFunction {
  return function sampled(value, attributes, context) {
    if (s.k === 0) {
      if (++s.keptInWindow > s.windowLimit) s.burst();
      next(value, attributes, context);
      return;
    }
    if (--s.skip > 0) return;
    const weight = s.weight;
    s.keep();
    weighted(value, weight, attributes, context);
  };
}
