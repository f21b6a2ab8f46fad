// fastmeter benchmarks: fastmeter vs @opentelemetry/sdk-metrics vs prom-client, in one process
// (hot path, collect + export) and in child processes (memory, allocation).
//
//   pnpm bench                      full run (several minutes), writes RESULTS.md
//   node --expose-gc run.mjs --check    smoke check: QUICK + verification, writes nothing
//
// Knobs: README.md. Runs against the built package (a snapshot of packages/sdk/dist taken at
// start, see lib/snapshot.mjs); builds nothing itself.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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
  const workers = runWorkers(log);

  const { markdown, targets } = renderReport({ env, envEnd: environment(), sdk, runtimeMs: Date.now() - started, hot, collect, memory, alloc, workers });
  log('all recorded totals verified');
  for (const t of targets) console.log(`  ${t.status.startsWith('✅') ? 'met   ' : t.status === '–' ? '      ' : 'MISSED'} ${t.target}: ${t.measured}`);
  const file = reportFile();
  if (file === null) {
    log('--check: verification passed; no report written');
    return;
  }
  writeFileSync(new URL(file, import.meta.url), markdown);
  log(`wrote bench/${file}`);
}

/**
 * The @fastmeter/workers suite runs in its own process (it starts worker threads and
 * writes results/workers.md); a full run regenerates it, other runs include the last one.
 */
function runWorkers(log) {
  const file = new URL('results/workers.md', import.meta.url);
  const full = !config.check && !config.quick && config.only === null;
  if (full || (config.only?.test('workers') ?? false)) {
    log('workers: node --expose-gc workers.mjs');
    const r = spawnSync(process.execPath, ['--expose-gc', 'workers.mjs', ...(config.quick ? ['--quick'] : [])], {
      cwd: new URL('.', import.meta.url),
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error(`workers.mjs exited with ${r.status}`);
  }
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

main().catch(err => {
  console.error(`\nbench FAILED: ${err?.stack ?? err}`);
  process.exit(1);
});
