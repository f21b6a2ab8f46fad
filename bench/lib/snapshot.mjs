// The checkout is shared: a concurrent `pnpm build` empties and rewrites packages/sdk/dist while
// a run takes minutes. So that every suite (and every child process) measures the same build,
// run.mjs copies dist/esm once at start into bench/node_modules/.fastmeter-snapshot/<pid>/ (a byte
// copy of the built package; its imports resolve through bench/node_modules) and points
// FASTMETER_SDK at it; lib/sdk.mjs loads from there. The copy is retried while a build is in
// progress and removed at exit.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('../', import.meta.url));
const sleep = ms => new Promise(r => setTimeout(r, ms));

function files(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

/** Paths, sizes and mtimes: changes when a build touches anything. */
const listing = dir =>
  files(dir)
    .map(f => `${f}:${statSync(f).size}:${statSync(f).mtimeMs}`)
    .join('\n');

function contentHash(dir) {
  const h = createHash('sha256');
  for (const f of files(dir)) h.update(f.slice(dir.length)).update(readFileSync(f));
  return h.digest('hex').slice(0, 12);
}

/** Removes snapshots left by runs that were killed (their process is gone). */
function removeStale(root) {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    let alive = false;
    try {
      process.kill(Number(name), 0);
      alive = true;
    } catch (err) {
      alive = err.code === 'EPERM';
    }
    if (!alive) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Copies dist/esm; returns { url, hash, built }. Throws with a clear message when there is no build. */
export async function snapshotSdk() {
  const link = join(here, 'node_modules/@fastmeter/sdk');
  const esm = join(existsSync(link) ? realpathSync(link) : link, 'dist/esm');
  const root = join(here, 'node_modules/.fastmeter-snapshot');
  removeStale(root);
  const target = join(root, String(process.pid));
  for (let attempt = 0; attempt < 10; attempt++) {
    if (!existsSync(join(esm, 'index.js'))) {
      if (attempt === 0) console.error(`bench: waiting up to 20 s for ${esm}/index.js (a build may be in progress)`);
      await sleep(2000); // a concurrent build may be between its rm and its tsc
      continue;
    }
    try {
      const before = listing(esm);
      const built = statSync(join(esm, 'index.js')).mtime.toISOString();
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target, { recursive: true });
      cpSync(esm, join(target, 'esm'), { recursive: true });
      // Package scope lookup stops at node_modules: declare the copy an ES module package itself.
      writeFileSync(join(target, 'package.json'), '{ "type": "module" }\n');
      if (listing(esm) === before) {
        process.on('exit', () => rmSync(target, { recursive: true, force: true }));
        return { url: pathToFileURL(join(target, 'esm/index.js')).href, hash: contentHash(join(target, 'esm')), built };
      }
    } catch {} // files vanished mid-copy: a build started
    await sleep(2000);
  }
  rmSync(target, { recursive: true, force: true });
  throw new Error(`${esm}/index.js is missing (or kept changing for 20 s).\nBuild the SDK first: cd .. && pnpm build`);
}
