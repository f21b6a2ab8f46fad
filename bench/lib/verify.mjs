// Reading recorded totals back, so that a benchmark measuring a no-op (or dropping records)
// fails instead of reporting a fast number.

/** Collects through a reader: Map<metric name, dataPoints[]>. */
export async function collectPoints(reader) {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new Error(`collect reported errors: ${errors.map(String).join('; ')}`);
  const byName = new Map();
  for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) byName.set(m.descriptor.name, m.dataPoints);
  return byName;
}

/** Totals of one metric's points: series, sum of values (sums, gauges) and count (histograms). */
export function otelTotals(points) {
  let sum = 0;
  let count = 0;
  let last = Number.NaN;
  for (const p of points ?? []) {
    if (typeof p.value === 'number') {
      sum += p.value;
      last = p.value;
    } else count += p.value.count;
  }
  return { series: points?.length ?? 0, sum, count, last };
}

/** The same from a prom-client metric (`await metric.get()`). */
export async function promTotals(metric) {
  const { values } = await metric.get();
  let sum = 0;
  let count = 0;
  let series = 0;
  let last = Number.NaN;
  for (const v of values) {
    if (v.metricName === undefined) {
      series++;
      sum += v.value;
      last = v.value;
    } else if (v.metricName.endsWith('_count')) {
      series++;
      count += v.value;
    }
  }
  return { series, sum, count, last };
}

/**
 * Compares what was recorded with what the bench did. `expect` holds any of series, sum, count,
 * last; every given field must match exactly.
 */
export function compare(id, got, expect) {
  const bad = Object.keys(expect).filter(k => got[k] !== expect[k]);
  return bad.length === 0
    ? {
        id,
        ok: true,
        detail: Object.keys(expect)
          .map(k => `${k}=${got[k]}`)
          .join(' '),
      }
    : { id, ok: false, detail: bad.map(k => `${k}: recorded ${got[k]}, expected ${expect[k]}`).join('; ') };
}

/** Throws with every failure listed. */
export function assertAll(results, what) {
  const failed = results.filter(r => !r.ok);
  for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.id}: ${r.detail}`);
  if (failed.length > 0) {
    throw new Error(
      `${what}: ${failed.length} benchmark(s) did not record what they ran (a no-op or lost records):\n  ${failed.map(r => `${r.id}: ${r.detail}`).join('\n  ')}`,
    );
  }
}
