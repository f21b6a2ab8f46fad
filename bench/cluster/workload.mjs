// The series of bench/cluster.mjs: 10,000 attribute sets of 3 attributes (8,000 on a counter,
// 2,000 on a histogram with 15 bounds), built once; and the record loop of the record-path
// suite (counter.add + histogram.record with a fresh 3-attribute literal over 30 sets).
export const COUNTERS = 8_000;
export const HISTOGRAMS = 2_000;
export const BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
export const LABEL_NAMES = ['method', 'route', 'status'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

const SETS = [];
for (let i = 0; i < COUNTERS; i++)
  SETS.push({ method: METHODS[i % 4], route: `/api/v1/resource${Math.floor(i / 8)}/:id`, status: String(200 + (Math.floor(i / 4) % 2) * 300) });
export const attrsOf = i => SETS[i];

const M = [];
const R = [];
const S = [];
for (let i = 0; i < 30; i++) {
  M.push(METHODS[i % 4]);
  R.push(`/api/r${i % 10}/:id`);
  S.push(String(200 + (i % 3) * 100));
}
const HV = new Float64Array(1024);
for (let i = 0, s = 42; i < HV.length; i++) {
  s = (s * 1103515245 + 12345) >>> 0;
  HV[i] = (s / 2 ** 32) ** 3 * 3000;
}

/** n operations (a counter add and a histogram record each), fresh literals over 30 attribute sets. */
export function recordLoop(counter, histogram, n, offset) {
  for (let k = 0; k < n; k++) {
    const i = (offset + k) % 30;
    counter.add(1, { method: M[i], route: R[i], status: S[i] });
    histogram.record(HV[(offset + k) & 1023], { method: M[i], route: R[i], status: S[i] });
  }
}
