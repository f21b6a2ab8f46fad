// Child processes (cluster workers, examples) load the built packages (dist),
// the test process their sources: both must be the same code. Builds a package
// whose dist is missing or older than its src, one test process at a time
// (a lock file next to it).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../..', import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

function fresh(dir: string): boolean {
  return existsSync(join(dir, 'dist/cjs/package.json')) && statSync(join(dir, 'dist/esm/index.js')).mtimeMs >= newest(join(dir, 'src'));
}

/** Builds `packages/<name>` for each name whose dist is stale. */
export function ensureBuilt(...names: string[]): void {
  for (const name of names) {
    const dir = join(PACKAGES, name);
    if (fresh(dir)) continue;
    const lock = join(dir, '.build.lock');
    const sleep = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; ; i++) {
      try {
        closeSync(openSync(lock, 'wx'));
        break;
      } catch {
        // A lock left by a killed test process is stale after two minutes (a build takes seconds).
        if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) unlinkSync(lock);
        if (i > 1200) throw new Error(`${lock} held for two minutes: remove it`);
        Atomics.wait(sleep, 0, 0, 100);
      }
    }
    try {
      if (!fresh(dir)) execFileSync(process.execPath, ['../../scripts/build-package.mjs'], { cwd: dir, stdio: 'inherit' });
    } finally {
      unlinkSync(lock);
    }
  }
}

/** The test process resolves the "source" export condition (TypeScript); children load dist like any application. */
export const CHILD_EXEC_ARGV = withoutLoaders(process.execArgv);

function withoutLoaders(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--conditions' || a === '-C' || a === '--import' || a === '--loader')
      i++; // and its value
    else if (!a.startsWith('--conditions=') && !a.startsWith('--import=') && !a.startsWith('--loader=')) out.push(a);
  }
  return out;
}
