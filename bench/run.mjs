// fastmeter benchmarks: fastmeter vs @opentelemetry/sdk-metrics vs prom-client, in one process
// (hot path, collect + export) and in child processes (memory, allocation).
//
//   pnpm bench                      full run (several minutes), writes RESULTS.md
//   node --expose-gc run.mjs --check    smoke check: QUICK + verification, writes nothing
//
// Besides the core suites, every area script bench/<area>.mjs runs (lib/areas.mjs) and its
// results/<area>.md is included in the report. Exits non-zero when a total does not verify,
// an area fails, or a target is missed (each printed as a MISSED line), after writing the report.
//
// Knobs: README.md. Runs against the built package (a snapshot of packages/sdk/dist taken at
// start, see lib/snapshot.mjs); builds nothing itself.
import { readFileSync, writeFileSync } from 'node:fs';

if (typeof globalThis.gc !== 'function') {
  console.error('bench: gc() is not exposed. Run with `node --expose-gc run.mjs` (`pnpm bench` does).');
  process.exit(1);
}

// Everything below loads @fastmeter/sdk from one snapshot of packages/sdk/dist (lib/snapshot.mjs).
const { snapshotSdk } = await import('./lib/snapshot.mjs');
let sdk;
try {
  sdk = await snapshotSdk();
} catch (err) {
  console.error(`bench: ${err.message}`);
  process.exit(1);
}
process.env.FASTMETER_SDK = sdk.url;

const { config, reportFile } = await import('./lib/config.mjs');
const { environment } = await import('./lib/env.mjs');
const { sink } = await import('./lib/harness.mjs');
const { runHotPath } = await import('./suites/hot/index.mjs');
const { runCollect } = await import('./suites/collect.mjs');
const { runMemory } = await import('./suites/memory.mjs');
const { runAlloc } = await import('./suites/alloc.mjs');
const { renderReport } = await import('./lib/report.mjs');
const { areaTargets, runAreas } = await import('./lib/areas.mjs');
const { quoteResults, replaceQuote } = await import('./lib/quote.mjs');

const started = Date.now();
const log = line => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

async function main() {
  const env = environment();
  log(
    `node ${env.node}, ${env.cpu} x${env.cores}, commit ${env.commit}, SDK build ${sdk.built} (${sdk.hash})${config.quick ? ', QUICK' : ''}${config.check ? ', --check' : ''}`,
  );
  const hot = await runHotPath(log);
  const collect = await runCollect(log);
  const memory = await runMemory(log);
  const alloc = await runAlloc(log);
  if (!Number.isFinite(sink())) throw new Error('SINK is not finite');
  const areas = runAreas(log);

  const { markdown, targets } = renderReport({
    env,
    envEnd: environment(),
    sdk,
    runtimeMs: Date.now() - started,
    hot,
    collect,
    memory,
    alloc,
    areas: areas.sections,
  });
  log('all recorded totals verified');
  const rows = [
    ...targets.map(t => ({ text: `${t.target}: ${t.measured}`, status: t.status.startsWith('✅') ? 'met' : t.status === '–' ? '' : 'MISSED' })),
    ...areas.sections
      .filter(a => !a.stale)
      .flatMap(areaTargets)
      .map(t => ({ text: `[${t.area}] ${t.target}: ${t.measured}`, status: t.met ? 'met' : 'MISSED' })),
  ];
  for (const r of rows) console.log(`  ${r.status.padEnd(6)} ${r.text}`);
  const file = reportFile();
  if (file === null) log('--check: no report written');
  else {
    writeFileSync(new URL(file, import.meta.url), markdown);
    log(`wrote bench/${file}`);
    if (file === 'RESULTS.md') {
      const readme = new URL('../README.md', import.meta.url);
      writeFileSync(readme, replaceQuote(readFileSync(readme, 'utf8'), quoteResults(markdown)));
      log('updated the targets quoted in README.md');
    }
  }
  const missed = rows.filter(r => r.status === 'MISSED').length;
  const failed = areas.ran.filter(r => !r.ok).map(r => r.area);
  if (missed > 0 || failed.length > 0) {
    const why = [missed > 0 ? `${missed} target(s) MISSED` : '', failed.length > 0 ? `area(s) failed: ${failed.join(', ')}` : ''].filter(Boolean);
    console.error(`\nbench: ${why.join('; ')} (exit 1)`);
    process.exitCode = 1;
  }
}

main().catch(err => {
  console.error(`\nbench FAILED: ${err?.stack ?? err}`);
  process.exit(1);
});
