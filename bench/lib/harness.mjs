// Timing harness for hot-path benchmarks.
//
// A bench is { id, fn, iters: 0 } where fn(n) runs n operations in its own loop (one function per
// bench, so the call site inside stays monomorphic) and returns a number that goes into SINK, so
// the work cannot be dropped as dead code. `iters` counts every iteration ever run, warm-up
// included: the suites verify afterwards that the instruments recorded exactly that many.
//
// Procedure (bench/README.md, "Method"):
//   1. warm-up + calibration per bench: grow n until one run takes >= warmMs, run once more at
//      that size, then n = max(MIN_ITERS, TARGET_MS worth) capped at MAX_RUN_MS worth;
//   2. ROUNDS interleaved rounds: every bench runs once per round, the start position rotated
//      by len/ROUNDS each round, gc() before every timed run;
//   3. best (min) and median ns/op over the rounds.
// Timing is process.hrtime.bigint() around the whole loop; the loop overhead (~0.7 ns, see the
// empty-loop floor) is included in every figure, as it is in the floors.
import { config } from './config.mjs';

const gc = globalThis.gc;
let SINK = 0;

/** Folded into the report so that no bench result is unused. */
export function sink() {
  return SINK;
}

/** Iteration counts are rounded to this, so that alternating patterns ((i & 1), i & 1023) complete. */
const GRAIN = 1024;
const roundUp = n => Math.max(GRAIN, Math.ceil(n / GRAIN) * GRAIN);

function timeRun(bench, n) {
  const fn = bench.fn;
  const t0 = process.hrtime.bigint();
  const r = fn(n);
  const t1 = process.hrtime.bigint();
  bench.iters += n;
  SINK = (SINK + (typeof r === 'number' && r === r ? r : 1)) % 1e12;
  return Number(t1 - t0) / n;
}

function calibrate(bench) {
  let n = GRAIN * 8;
  let ns = timeRun(bench, n);
  while (ns * n < config.warmMs * 1e6 && n < 1e9) {
    n *= 4;
    ns = timeRun(bench, n);
  }
  ns = timeRun(bench, n); // once more at the final size: optimised code, OSR done
  const want = Math.max(config.minIters, (config.targetMs * 1e6) / ns);
  const cap = (config.maxRunMs * 1e6) / ns;
  return roundUp(Math.min(want, cap));
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs the benches interleaved and returns Map<id, { best, median, runs, n }> (ns/op).
 * `log` gets one line per bench and round.
 */
export function runInterleaved(benches, log = () => {}) {
  const n = new Map();
  for (const b of benches) {
    n.set(b.id, calibrate(b));
    log(`  calibrated ${b.id}: ${n.get(b.id)} iterations/run`);
  }
  const times = new Map(benches.map(b => [b.id, []]));
  const len = benches.length;
  for (let r = 0; r < config.rounds; r++) {
    const offset = Math.floor((r * len) / config.rounds);
    for (let j = 0; j < len; j++) {
      const b = benches[(j + offset) % len];
      gc();
      times.get(b.id).push(timeRun(b, n.get(b.id)));
    }
    log(`  round ${r + 1}/${config.rounds} done`);
  }
  const out = new Map();
  for (const b of benches) {
    const t = times.get(b.id);
    out.set(b.id, { best: Math.min(...t), median: median(t), runs: t, n: n.get(b.id) });
  }
  return out;
}
