// The targets, evaluated on the measured results. Ratios are of medians (best in brackets).
// A target whose inputs were not measured in this run (ONLY, n/a) is listed as "not measured".

const fmt = x => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function ratio(target, label, num, den, atLeast, unit = '×') {
  if (!num?.median || !den?.median) return { target: target.text, measured: 'not measured', status: '–' };
  const med = num.median / den.median;
  const best = num.best / den.best;
  const meets = x => (atLeast ? x >= target.value : x <= target.value);
  const gap = atLeast ? target.value / med : med / target.value;
  // Medians decide; when only the best runs meet the target, the rounds were noisy (other load).
  const noisy = meets(best) ? ' (best runs meet it: noisy rounds, rerun on a quiet machine)' : '';
  return {
    target: target.text,
    measured: `${label}: ${fmt(med)}${unit} (best ${fmt(best)}${unit})`,
    status: meets(med) ? '✅' : `❌ ${atLeast ? 'short' : 'over'} by ${gap.toFixed(2)}×${noisy}`,
  };
}

export function evaluateTargets({ hot, collect, memory, alloc }) {
  const h = (caseId, impl) => hot?.get(`hot/${caseId}/${impl}`);
  const rows = [];
  const faster = (caseId, other, value, text) => rows.push(ratio({ value, text }, `${other} / fastmeter`, h(caseId, other), h(caseId, 'fastmeter'), true));

  faster('c3', 'sdk-metrics', 20, '`counter.add(1, {3 attrs})` fresh literal ≥ 20× faster than sdk-metrics');
  faster('c3', 'prom-client', 5, '… ≥ 5× faster than prom-client');
  faster('h3', 'sdk-metrics', 15, '`histogram.record(v, {3 attrs})` ≥ 15× faster than sdk-metrics');
  faster('h3', 'prom-client', 5, '… ≥ 5× faster than prom-client');
  rows.push(
    ratio(
      { value: 2, text: '`counter.add(1)` no attributes ≤ 2× a Float64Array slot increment' },
      'fastmeter / same-slot floor',
      h('c0', 'fastmeter'),
      h('floor', 'f64-same-slot'),
      false,
    ),
  );
  const bound = h('bound', 'fastmeter');
  if (bound?.na) rows.push({ target: 'bound handle `.add(1)` ≤ 2× a Float64Array slot increment', measured: bound.na, status: '–' });
  else
    rows.push(
      ratio(
        { value: 2, text: 'bound handle `.add(1)` ≤ 2× a Float64Array slot increment' },
        'fastmeter / same-slot floor',
        bound,
        h('floor', 'f64-same-slot'),
        false,
      ),
    );

  // Identity: fastmeter recognises a reused attributes object by identity only when it is frozen
  // (it cannot have changed since the last call). A mutable object is looked up by value, because
  // code may mutate one labels object between calls; that row is reported for comparison.
  const frozen = h('frozen', 'fastmeter');
  const reused = h('reused', 'fastmeter');
  const identityText = 'same attributes object again (identity): single-digit ns';
  rows.push(
    frozen?.median
      ? {
          target: identityText,
          measured:
            `frozen object: ${fmt(frozen.median)} ns (best ${fmt(frozen.best)})` +
            (reused?.median ? `; a mutable object is looked up by value: ${fmt(reused.median)} ns` : ''),
          status: frozen.median < 10 ? '✅' : `❌ over by ${(frozen.median / 10).toFixed(2)}×`,
        }
      : { target: identityText, measured: 'not measured', status: '–' },
  );
  const two = ratio(
    { value: 1.15, text: 'two readers cost the same per record as one (≤ 1.15×, noise allowance)' },
    'fastmeter 2 readers / 1',
    h('c3-2readers', 'fastmeter'),
    h('c3', 'fastmeter'),
    false,
  );
  const sdkTwo = h('c3-2readers', 'sdk-metrics');
  const sdkOne = h('c3', 'sdk-metrics');
  if (sdkTwo?.median && sdkOne?.median) two.measured += `; sdk-metrics: ${fmt(sdkTwo.median / sdkOne.median)}×`;
  rows.push(two);

  rows.push(allocationTarget(alloc));

  for (const [kind, limit] of [
    ['counter', 100],
    ['histogram', 300],
  ]) {
    const m = memory?.results.get(`fastmeter-${kind}`);
    const text = `memory ≤ ${limit} B per ${kind === 'counter' ? 'counter' : 'default-bucket histogram'} series (${memory?.series ?? 100_000} series, worst of record / collect / re-record)`;
    if (!m) rows.push({ target: text, measured: 'not measured', status: '–' });
    else {
      const worst = Math.max(m.afterRecord, m.afterCollect, m.afterRerecord);
      rows.push({
        target: text,
        measured: `${worst} B (${m.afterRecord} / ${m.afterCollect} / ${m.afterRerecord})`,
        status: worst <= limit ? '✅' : `❌ over by ${(worst / limit).toFixed(2)}×`,
      });
    }
  }

  // The ≥ 5× collect + export targets are met by @fastmeter/exporters and judged in the Exporters
  // section (bench/exporters.mjs, side by side with the standard exporters). These rows keep
  // what the standard serialisers give on fastmeter's collect, as context: no verdict.
  const c = phase => [collect?.results.get('sdk-metrics')?.[phase], collect?.results.get('fastmeter')?.[phase]];
  for (const [phase, format] of [
    ['collectPrometheus', 'Prometheus text'],
    ['collectOtlpJson', 'OTLP JSON'],
  ]) {
    const row = ratio({ value: 5, text: '' }, 'sdk-metrics / fastmeter', ...c(phase), true);
    rows.push({
      target: `collect + ${format} of ${collect?.series ?? 100_000} series through the standard serialiser (context: the ≥ 5× target is judged with @fastmeter/exporters in the Exporters section)`,
      measured: row.measured,
      status: '–',
    });
  }
  return rows;
}

/**
 * No allocation per record once the series exists: no scavenge at all over the records for a
 * reused object, no attributes and a bound handle; for fresh literals, no more scavenges than
 * the caller's own literal causes (baseline-literal; for histograms baseline-literal-double, which
 * also boxes the fractional value passed to a function that is not inlined).
 */
function allocationTarget(alloc) {
  const text = 'no allocation per record once the series exists (GC counts over the records)';
  const r = alloc?.results;
  if (!r?.has('fastmeter-reused')) return { target: text, measured: 'not measured', status: '–' };
  const parts = [];
  const bad = [];
  for (const v of ['fastmeter-reused', 'fastmeter-noattrs', 'fastmeter-bound']) {
    const x = r.get(v);
    if (!x || x.na) continue;
    parts.push(`${v.slice(10)}: ${x.gcs.scavenge} scavenges`);
    if (x.gcs.scavenge > 0 || x.retainedGrowth > 1 << 20) bad.push(v);
  }
  for (const [v, b] of [
    ['fastmeter-fresh3', 'baseline-literal'],
    ['fastmeter-histogram3', 'baseline-literal-double'],
  ]) {
    const x = r.get(v);
    const base = r.get(b);
    if (!x || !base) continue;
    parts.push(`${v.slice(10)}: ${x.gcs.scavenge} (caller alone, \`${b}\`: ${base.gcs.scavenge})`);
    if (x.gcs.scavenge > base.gcs.scavenge * 1.05 + 1 || x.retainedGrowth > 1 << 20) bad.push(v);
  }
  return { target: text, measured: parts.join('; '), status: bad.length ? `❌ allocates: ${bad.join(', ')}` : '✅' };
}
