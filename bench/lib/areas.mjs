// Areas: benchmarks beyond the core suites, one script each. Every `bench/<area>.mjs` (any
// top-level .mjs but run.mjs) runs in its own process as `node --expose-gc <area>.mjs [--quick]`,
// verifies what it recorded (non-zero exit when that fails) and writes `results/<area>.md`: a
// section of RESULTS.md with its environment and, when it has targets, a table whose rows say
// ✅ or ❌. run.mjs runs every area in a full run, includes every results/*.md in RESULTS.md, and
// lists each ❌ row as a missed target.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { config } from './config.mjs';

// BENCH_AREAS_DIR: another folder of area scripts (and its results/), for bench/test only.
const BENCH = process.env.BENCH_AREAS_DIR ? pathToFileURL(`${process.env.BENCH_AREAS_DIR.replace(/\/$/, '')}/`) : new URL('../', import.meta.url);
const RESULTS = new URL('results/', BENCH);

/** Area names, from the scripts in bench/. */
export function areaNames() {
  return readdirSync(BENCH)
    .filter(f => f.endsWith('.mjs') && f !== 'run.mjs')
    .map(f => f.slice(0, -'.mjs'.length))
    .sort();
}

/**
 * Runs the areas this run selects: all of them in a full run; in a QUICK or --check run those
 * ONLY matches (all when ONLY is unset), with --quick. results/<area>.md keeps what a full run
 * wrote: a partial run's section goes into this run's report only, and the file is put back.
 * Returns { ran: [{ area, ok }], sections: [{ area, markdown, stale, failed }] }, where
 * `stale` means the section was not written by this run.
 */
export function runAreas(log) {
  const full = !config.quick && config.only === null;
  const ran = [];
  const fresh = new Map();
  for (const area of areaNames()) {
    if (!full && config.only !== null && !config.only.test(area)) continue;
    const file = new URL(`${area}.md`, RESULTS);
    const before = existsSync(file) ? readFileSync(file, 'utf8') : null;
    rmSync(file, { force: true });
    const args = ['--expose-gc', `${area}.mjs`, ...(config.quick ? ['--quick'] : [])];
    log(`area ${area}: node ${args.join(' ')}`);
    const r = spawnSync(process.execPath, args, { cwd: BENCH, stdio: 'inherit' });
    const status = r.status ?? 1;
    const after = existsSync(file) ? readFileSync(file, 'utf8') : null;
    if (status !== 0) log(`area ${area}: FAILED (exit ${r.status ?? r.signal})`);
    else if (after === null) log(`area ${area}: wrote no results/${area}.md`);
    else fresh.set(area, after);
    ran.push({ area, ok: fresh.has(area) });
    // A partial or failed run leaves the last full run's file as it was.
    if (!full || !fresh.has(area)) {
      if (before === null) rmSync(file, { force: true });
      else writeFileSync(file, before);
    }
  }
  // Every results/*.md, and what this run's areas wrote: their section where they ran, the file's otherwise.
  const files = existsSync(RESULTS) ? readdirSync(RESULTS).filter(f => f.endsWith('.md')) : [];
  const names = new Set([...files.map(f => f.slice(0, -'.md'.length)), ...fresh.keys()]);
  const sections = [...names].sort().map(area => ({
    area,
    markdown: fresh.get(area) ?? readFileSync(new URL(`${area}.md`, RESULTS), 'utf8'),
    stale: !fresh.has(area),
    failed: ran.some(r => r.area === area && !fresh.has(area)),
  }));
  return { ran, sections };
}

/** Target rows of an area's section: table rows marked ✅ or ❌, as { area, target, measured, met }. */
export function areaTargets(section) {
  const rows = [];
  for (const line of section.markdown.split('\n')) {
    if (!line.startsWith('|') || !/[✅❌]/.test(line)) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map(c => c.trim());
    rows.push({ area: section.area, target: cells[0], measured: cells.slice(1).find(c => !/[✅❌]/.test(c)) ?? '', met: !line.includes('❌') });
  }
  return rows;
}
