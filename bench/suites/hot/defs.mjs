// Bench definitions and their verifications. A verification reads back what the instrument
// recorded and compares it with the iterations the harness ran (warm-up included).
import { compare, otelTotals, promTotals } from '../../lib/verify.mjs';

/** A bench: `fn(n)` runs n operations. `na` (instead of fn) marks a bench that cannot run in this build. */
export function bench(caseId, impl, fn, verify, extra = {}) {
  return { id: `hot/${caseId}/${impl}`, caseId, impl, fn, verify, iters: 0, ...extra };
}

export function notAvailable(caseId, impl, na) {
  return { id: `hot/${caseId}/${impl}`, caseId, impl, fn: null, verify: null, iters: 0, na };
}

const points = async (side, name, reader = 0) => otelTotals((await side.points(reader)).get(name));

/** Counter / up-down counter: the values add up to `perIter` x iterations, in `series` series. */
export const otelSum =
  (side, name, { series = 1, perIter = 1, reader = 0 } = {}) =>
  async b =>
    compare(b.id, await points(side, name, reader), { series, sum: b.iters * perIter });

/** Histogram: one count per iteration. */
export const otelCount =
  (side, name, { series = 1, reader = 0 } = {}) =>
  async b =>
    compare(b.id, await points(side, name, reader), { series, count: b.iters });

/** Gauge: the benches record a running index, so the last value is iterations - 1. */
export const otelLast = (side, name) => async b => compare(b.id, await points(side, name), { series: 1, last: b.iters - 1 });

export const promSum =
  (metric, { series = 1, perIter = 1 } = {}) =>
  async b =>
    compare(b.id, await promTotals(metric), { series, sum: b.iters * perIter });
export const promCount = metric => async b => compare(b.id, await promTotals(metric), { series: 1, count: b.iters });
export const promLast = metric => async b => compare(b.id, await promTotals(metric), { series: 1, last: b.iters - 1 });

/** Floors count into a Float64Array: its sum must equal the iterations. */
export const arraySum = array => async b => compare(b.id, { sum: array.reduce((a, x) => a + x, 0) }, { sum: b.iters });
