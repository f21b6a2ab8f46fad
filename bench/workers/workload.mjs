// The workload every configuration of bench/workers.mjs records: per operation
// counter.add(1, attrs) and histogram.record(v, attrs) with a fresh 3-attribute
// literal, cycling through `combos` attribute sets (values loaded through an
// index, so no compiler hoists the literal), histogram values spread over the
// default buckets.
export const BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
export const LABEL_NAMES = ['method', 'route', 'status'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const MAX_COMBOS = 1000;
export const LABELS = [];
for (let i = 0; i < MAX_COMBOS; i++) LABELS.push(METHODS[i % 4], `/api/r${i % 250}/:id`, String(200 + (i % 7) * 50));
export const HV = new Float64Array(1024);
{
  let s = 42;
  for (let i = 0; i < HV.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    HV[i] = (s / 2 ** 32) ** 3 * 3000;
  }
}
