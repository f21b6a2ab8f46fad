#!/usr/bin/env node
// One entry point for the README's commands, usable on a fresh machine with
// only Node and npm:
//   npm run demo    install, build, run examples/http-service with its load generator
//   npm test        install, build, run every test suite on both supported lines
//                   (Node 20 + sdk-metrics 2.x; Node 24 + sdk-metrics 3.x) and print
//                   the total as its last line: "N passed, N failed"
//   npm run bench   install, build, run bench/ (writes bench/RESULTS.md)
// Environment: FASTMETER_LINES=2 (or 3) runs one line only.
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINES, swapCatalog } from './lines.mjs';
import { pnpmCommand } from './pnpm.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, '.cache');

function log(message) {
  console.log(`\n[fastmeter] ${message}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...options });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function must(cmd, args, options) {
  const status = run(cmd, args, options);
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${status}`);
}

function pnpm(args, options) {
  const [cmd, pre] = pnpmCommand();
  must(cmd, [...pre, ...args], options);
}

function installAndBuild(cwd = ROOT, env = process.env) {
  pnpm(['install', '--frozen-lockfile'], { cwd, env });
  pnpm(['build'], { cwd, env });
}

/** A Node 24 binary from the npm registry (`npm i node@24`), cached in .cache/node24. */
function node24() {
  const dir = join(CACHE, 'node24');
  const bin = join(dir, 'node_modules', '.bin');
  if (!existsSync(join(bin, 'node'))) {
    log('installing Node 24 from the npm registry (npm i node@24)');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
    must('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, 'node@24']);
  }
  const version = execFileSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v24.')) throw new Error(`expected Node 24, got ${version}`);
  return bin;
}

/** Deletes files of an earlier copy that the working tree no longer has (installs and builds are kept). */
function removeStale(dir, keep, rel = '') {
  if (!existsSync(join(dir, rel))) return;
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === '.cache') continue;
    if (entry.isDirectory()) removeStale(dir, keep, path);
    else if (!keep.has(path) && path !== 'pnpm-lock.yaml') rmSync(join(dir, path));
  }
}

/** A copy of the working tree (tracked and new files) with line 3's catalog, ready to install. */
function prepareLine3() {
  const dir = join(CACHE, 'line3');
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(f => f && existsSync(join(ROOT, f)));
  removeStale(dir, new Set(files));
  for (const f of files) {
    if (f === 'pnpm-lock.yaml') continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  const yaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), swapCatalog(yaml, LINES[3].catalog));
  const lock = join(ROOT, '.ci/line3/pnpm-lock.yaml');
  if (existsSync(lock)) cpSync(lock, join(dir, 'pnpm-lock.yaml'));
  return dir;
}

/** Runs vitest in `cwd` with the JSON reporter; returns { passed, failed, skipped } or a failure. */
function vitest(line, cwd, env) {
  const out = join(CACHE, 'results', `line${line}.json`);
  rmSync(out, { force: true });
  mkdirSync(dirname(out), { recursive: true });
  const nodeBin = env.FASTMETER_NODE ?? process.execPath;
  run(nodeBin, [join(cwd, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], {
    cwd,
    env,
  });
  if (!existsSync(out)) return { passed: 0, failed: 1, skipped: 0, note: 'vitest wrote no report (crashed)' };
  const report = JSON.parse(readFileSync(out, 'utf8'));
  // A file that failed outside its tests (import error, a throwing beforeAll: its tests are then
  // reported as skipped) counts as one failure, or a broken suite would read as "0 failed".
  const failedSuites = report.testResults.filter(s => s.status === 'failed' && !s.assertionResults.some(a => a.status === 'failed')).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + failedSuites,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

function test() {
  const lines = (process.env.FASTMETER_LINES ?? '2,3').split(',').map(s => s.trim());
  const results = [];
  log('installing and building (line 2)');
  installAndBuild();
  for (const line of lines) {
    const spec = LINES[line];
    if (spec === undefined) throw new Error(`unknown line ${line}`);
    log(`running all suites: ${spec.label}`);
    let cwd = ROOT;
    let env = { ...process.env, FASTMETER_LINE: line };
    if (spec.node !== 'system') {
      const bin = node24();
      cwd = prepareLine3();
      env = { ...env, PATH: `${bin}:${process.env.PATH}`, FASTMETER_NODE: join(bin, 'node') };
      const [cmd, pre] = pnpmCommand();
      must(cmd, [...pre, 'install', '--no-frozen-lockfile'], { cwd, env });
      mkdirSync(join(ROOT, '.ci/line3'), { recursive: true });
      cpSync(join(cwd, 'pnpm-lock.yaml'), join(ROOT, '.ci/line3/pnpm-lock.yaml'));
      must(cmd, [...pre, 'build'], { cwd, env });
    }
    results.push({ line, label: spec.label, ...vitest(line, cwd, env) });
  }
  let passed = 0;
  let failed = 0;
  console.log('\n[fastmeter] summary');
  for (const r of results) {
    console.log(`  ${r.label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.note ? ` (${r.note})` : ''}`);
    passed += r.passed;
    failed += r.failed;
  }
  if (passed + failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

/** The value of `--name=v` / `--name v` in `args`, else `fallback`. */
function option(args, name, fallback) {
  const i = args.findIndex(a => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return fallback;
  return args[i].includes('=') ? args[i].slice(name.length + 3) : args[i + 1];
}

/** Resolves to the listen error's code, or null when `port` on `host` is free. */
function portError(port, host) {
  return new Promise(resolve => {
    const probe = createServer();
    probe.once('error', err => resolve(err.code ?? 'error'));
    probe.listen(port, host, () => probe.close(() => resolve(null)));
  });
}

async function demo() {
  const args = process.argv.slice(3);
  const port = Number(option(args, 'port', process.env.PORT || '8080'));
  const host = option(args, 'host', process.env.HOST || '127.0.0.1');
  // Before installing and building (tens of seconds): a taken port is a one-line answer, at once.
  if (Number.isInteger(port) && port > 0 && (await portError(port, host)) === 'EADDRINUSE') {
    console.error(`[fastmeter] port ${port} on ${host} is in use: run \`npm run demo -- --port=0\` for a free port (or --port=N)`);
    process.exit(1);
  }
  installAndBuild();
  // The service explains its own failures (one line); pass its exit code on.
  process.exitCode = run(process.execPath, ['examples/http-service/src/main.mjs', '--demo', ...args]);
}

function bench() {
  installAndBuild();
  must(process.execPath, ['--expose-gc', 'run.mjs', ...process.argv.slice(3)], { cwd: join(ROOT, 'bench') });
}

const commands = { test, demo, bench };
const command = commands[process.argv[2]];
if (command === undefined) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(commands).join('|')}>`);
  process.exit(2);
}
try {
  await command();
} catch (err) {
  console.error(`[fastmeter] ${err.message}`);
  if (process.argv[2] === 'test') console.log('0 passed, 1 failed');
  process.exit(1);
}
