// The sampler's record path. A skipped call costs a decrement and a compare;
// at p = 1 a call costs that plus three field increments before `next`, the
// instrument's own record function, unchanged. No clock read, no allocation.
import type { RecordFunction, WeightedRecordFunction } from '@fastmeter/sdk';
import type { SamplingState } from './state.js';

export function sampledRecord(s: SamplingState, next: RecordFunction, weighted: WeightedRecordFunction): RecordFunction {
  return function sampled(value, attributes, context) {
    if (--s.skip > 0) return;
    if (s.k === 0) {
      s.skip = 1;
      s.consumed++;
      s.kept++;
      if (++s.keptInWindow > s.windowLimit) s.burst();
      next(value, attributes, context);
      return;
    }
    const weight = s.weight;
    s.keep();
    weighted(value, weight, attributes, context);
  };
}
