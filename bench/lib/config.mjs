// Run configuration from the command line and the environment.
//
//   node --expose-gc run.mjs            full run, writes RESULTS.md
//   node --expose-gc run.mjs --check    QUICK + verification only, writes nothing
//   QUICK=1                             fast smoke run (< 60 s), writes RESULTS.partial.md
//   ONLY=<regexp> or --only <regexp>    only the benchmarks whose id matches (ids: hot/c3/fastmeter,
//                                       collect/sdk-metrics, memory/prom-client-counter, alloc/...,
//                                       and the area names: workers, ...)
//   ROUNDS, MIN_ITERS, TARGET_MS, MAX_RUN_MS   hot-path timing (see harness.mjs)
//   SERIES        series for the collect and memory suites (default 100000)
//   ALLOC_RECORDS records per allocation check (default 10000000)
const args = process.argv.slice(2);
const argv = new Set(args);
const env = process.env;
const check = argv.has('--check');
/** `--only <re>` or `--only=<re>`, else ONLY. */
function onlyPattern() {
  const i = args.findIndex(a => a === '--only' || a.startsWith('--only='));
  if (i === -1) return env.ONLY || null;
  const value = args[i] === '--only' ? args[i + 1] : args[i].slice('--only='.length);
  if (!value) throw new Error('--only needs a regular expression, e.g. --only hot');
  return value;
}
const only = onlyPattern();
const quick = check || env.QUICK === '1' || env.QUICK === 'true';

function num(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
}

export const config = Object.freeze({
  check,
  quick,
  only: only ? new RegExp(only) : null,
  rounds: num('ROUNDS', quick ? 2 : 5),
  // Iterations per timed run: max(MIN_ITERS, enough for TARGET_MS), but a run never longer than
  // MAX_RUN_MS (a guard: at the defaults every bench gets >= 5M, sdk-metrics with two readers ~8 s).
  minIters: num('MIN_ITERS', quick ? 100_000 : 5_000_000),
  targetMs: num('TARGET_MS', quick ? 20 : 250),
  maxRunMs: num('MAX_RUN_MS', quick ? 150 : 8_000),
  // Warm-up: grow the run until one takes at least this long (lets V8 optimise and OSR the loop).
  warmMs: quick ? 5 : 40,
  series: num('SERIES', quick ? 10_000 : 100_000),
  collectRounds: num('COLLECT_ROUNDS', quick ? 2 : 7),
  allocRecords: num('ALLOC_RECORDS', quick ? 1_000_000 : 10_000_000),
});

/** True when the benchmark `id` is selected by ONLY (everything when ONLY is unset). */
export function selected(id) {
  return config.only === null || config.only.test(id);
}

/** Where the report goes: RESULTS.md only for a full, unfiltered run. */
export function reportFile() {
  if (config.check) return null;
  return config.quick || config.only ? 'RESULTS.partial.md' : 'RESULTS.md';
}
