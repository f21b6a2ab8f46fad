// Two builds of @fastmeter/sdk side by side in one process, interleaved: the
// record path before and after a change, on a shared, noisy machine (ratios of
// one run are far more robust than figures of two runs).
//
//   cd bench && node --expose-gc micro/compare-builds.mjs <before>/dist <after>/dist [--quick] [--cpu]
//
// --cpu times each run by the process's CPU time (process.cpuUsage) instead of
// the wall clock: time spent descheduled by other load is not counted, which
// keeps figures usable on a machine shared by many processes.
//
// Each argument is a package's dist directory (its esm/index.js is loaded). The
// builds are copied under bench/node_modules (their imports resolve there), once
// per case, and removed at exit.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInterleaved } from '../lib/harness.mjs';
import { runCpu } from './cpu.mjs';
import { TestReader } from './reader.mjs';

const dirs = process.argv.slice(2).filter(a => !a.startsWith('--'));
if (dirs.length !== 2) {
  console.error('usage: node --expose-gc micro/compare-builds.mjs <before dist> <after dist> [--quick]');
  process.exit(2);
}
const root = join(fileURLToPath(new URL('../node_modules/', import.meta.url)), `.fastmeter-compare-${process.pid}`);
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const builds = dirs.map((dir, i) => ({ name: i === 0 ? 'before' : 'after', dir: join(resolve(dir), 'esm') }));

/** A private copy of a build per case: cases share no type feedback (as separate processes would not). */
async function load(build, id) {
  const to = join(root, `${build.name}-${id}`);
  mkdirSync(to, { recursive: true });
  cpSync(build.dir, to, { recursive: true });
  return import(pathToFileURL(join(to, 'index.js')).href);
}

const L3 = ['GET', '/api/cart', '200', 'POST', '/api/order', '201'].map(s => `${s}`);
const wide = n => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${String(i).padStart(3, '0')}`, `v${i}`]));
const CASES = {
  c0: 'for (let i = 0; i < n; i++) c.add(1);',
  bound: 'for (let i = 0; i < n; i++) b.add(1);',
  c1: 'for (let i = 0; i < n; i++) c.add(1, { method: L3[(i & 1) * 3] });',
  c3: 'for (let i = 0; i < n; i++) { const o = (i & 1) * 3; c.add(1, { method: L3[o], route: L3[o + 1], status: L3[o + 2] }); }',
  reused: 'for (let i = 0; i < n; i++) c.add(1, R);',
  frozen: 'for (let i = 0; i < n; i++) c.add(1, F);',
  h3: 'for (let i = 0; i < n; i++) { const o = (i & 1) * 3; h.record(i & 255, { method: L3[o], route: L3[o + 1], status: L3[o + 2] }); }',
  keys128: 'for (let i = 0; i < n; i++) c.add(1, W128);',
  keys129: 'for (let i = 0; i < n; i++) c.add(1, W129);',
};

const benches = [];
for (const [id, body] of Object.entries(CASES)) {
  for (const build of builds) {
    const sdk = await load(build, id);
    const reader = new TestReader();
    const meter = new sdk.FastMeterProvider({ readers: [reader] }).getMeter('compare');
    const c = meter.createCounter(`c.${id}`);
    const h = meter.createHistogram(`h.${id}`);
    const b = sdk.bind(c, { k: 'bound' });
    const scope = {
      c,
      h,
      b,
      L3,
      R: { method: L3[0], route: L3[1], status: L3[2] },
      F: Object.freeze({ method: L3[0], route: L3[1], status: L3[2] }),
      W128: wide(128),
      W129: wide(129),
    };
    const fn = new Function(...Object.keys(scope), `return function ${id}(n) { ${body} return n; }`)(...Object.values(scope));
    benches.push({ id: `${id}/${build.name}`, fn, iters: 0, reader, name: id.startsWith('h') ? `h.${id}` : `c.${id}` });
  }
}
const results = process.argv.includes('--cpu') ? runCpu(benches) : runInterleaved(benches);

for (const b of benches) {
  const { resourceMetrics } = await b.reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap(s => s.metrics).find(m => m.descriptor.name === b.name);
  const total = metric.dataPoints.reduce((s, p) => s + (typeof p.value === 'number' ? p.value : p.value.count), 0);
  if (total !== b.iters) {
    console.error(`verification failed: ${b.id} recorded ${total}, ran ${b.iters}`);
    process.exit(1);
  }
}
console.log(`node ${process.version}; ns per call, best / median of interleaved rounds; after ÷ before of medians`);
for (const id of Object.keys(CASES)) {
  const [x, y] = builds.map(bd => results.get(`${id}/${bd.name}`));
  console.log(
    `${id.padEnd(8)} before ${x.best.toFixed(2).padStart(8)} / ${x.median.toFixed(2).padStart(8)}   after ${y.best.toFixed(2).padStart(8)} / ${y.median.toFixed(2).padStart(8)}   ${(y.median / x.median).toFixed(2)}×`,
  );
}
