// Hot-path suite: every bench of every implementation interleaved in one process, then every
// recorded total checked against the iterations run.
import { selected } from '../../lib/config.mjs';
import { runInterleaved } from '../../lib/harness.mjs';
import { assertAll } from '../../lib/verify.mjs';
import { counterBenches } from './counters.mjs';
import { floorBenches } from './floors.mjs';
import { otherBenches } from './others.mjs';
import { createContext } from './setup.mjs';

/** Report rows: `floor` names the floor bench the row is compared with. */
export const CASES = [
  { id: 'c0', title: '`counter.add(1)`, no attributes', floor: 'f64-same-slot' },
  { id: 'bound', title: 'bound handle `.add(1)` (prom-client: `labels()` child `.inc()`)', floor: 'f64-same-slot' },
  { id: 'c1', title: '`counter.add(1, {1 attr})`, fresh literal' },
  { id: 'c3', title: '`counter.add(1, {3 attrs})`, fresh literal', floor: 'trie-forin-3' },
  { id: 'c5', title: '`counter.add(1, {5 attrs})`, fresh literal' },
  { id: 'reused', title: '`counter.add(1, attrs)`, same (mutable) object again', floor: 'identity-map' },
  { id: 'frozen', title: '`counter.add(1, attrs)`, same frozen object again', floor: 'identity-map' },
  { id: 'h3', title: '`histogram.record(v, {3 attrs})`, fresh literal', floor: 'hist-trie-3' },
  { id: 'g3', title: '`gauge.record(v, {3 attrs})`, fresh literal' },
  { id: 'u3', title: '`upDownCounter.add(±v, {3 attrs})`, fresh literal' },
  { id: 'e3', title: 'exponential `histogram.record(v, {3 attrs})`' },
  { id: 'rot1000', title: '`counter.add(1, {3 attrs})`, 1,000 rotating sets', floor: 'trie-forin-rot1000' },
  { id: 'c3-2readers', title: '`counter.add(1, {3 attrs})`, two readers (cumulative + delta)' },
];

/** Returns Map<bench id, { best, median, n, iters } | { na }> for the selected benches. */
export async function runHotPath(log) {
  const ctx = createContext();
  const all = [...counterBenches(ctx), ...otherBenches(ctx), ...floorBenches()].filter(b => selected(b.id));
  const runnable = all.filter(b => b.fn !== null);
  log(`hot path: ${runnable.length} benches${ctx.bind ? '' : ' (bind is not exported by this build: bound case n/a)'}`);
  const timings = runInterleaved(runnable, log);

  log('hot path: verifying recorded totals');
  const checks = [];
  for (const b of runnable) if (b.verify) checks.push(await b.verify(b));
  assertAll(checks, 'hot path');

  const results = new Map();
  for (const b of all) {
    results.set(b.id, b.fn === null ? { na: b.na } : { ...timings.get(b.id), iters: b.iters, label: b.label });
  }
  return results;
}
