// Packs every publishable package the way it is published, installs the tarballs with npm into a
// new application outside the workspace, and runs each package's README usage from there
// (test/packaging/install/<dir>/, see its README): as an ES module, as CommonJS, and type-checked
// with `tsc --strict` (module nodenext).
//
//   1. a clean copy of the workspace (root files, scripts/, packages/ without node_modules or dist),
//      installed from the lockfile. Packing in place would rebuild dist while other suites load it;
//   2. `pnpm -r pack` there: each package's prepack builds dist, .pnpmfile.cjs shapes the manifest;
//   3. each tarball: dist, LICENSE and README inside, no workspace-only fields or conditions,
//      publint clean, README links that resolve inside the tarball;
//   4. `npm install` of all tarballs, with the OpenTelemetry packages of the line under test (the
//      pnpm catalog), into a new app in the system's temp directory;
//   5. node usage.mjs, node usage.cjs, tsc over every usage.ts.
//
// Nothing is cached across runs (a new temp directory each time); FASTMETER_KEEP_INSTALL=1 keeps it.
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../scripts/lines.mjs';
import { pnpmCommand } from '../../scripts/pnpm.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const FIXTURES = join(HERE, 'install');
const MINUTES = 60_000;

interface Package {
  dir: string;
  name: string;
  version: string;
}

/** pnpm pack's file name: `@fastmeter/sdk` 0.1.0 → `fastmeter-sdk-0.1.0.tgz`. */
const tarballOf = (p: Package) => `${p.name.replace(/^@/, '').replace('/', '-')}-${p.version}.tgz`;

/** Every non-private package under packages/: packages added later are covered without a change here. */
const PACKAGES: Package[] = readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
  .filter(e => e.isDirectory() && existsSync(join(ROOT, 'packages', e.name, 'package.json')))
  .map(e => ({ dir: e.name, ...JSON.parse(readFileSync(join(ROOT, 'packages', e.name, 'package.json'), 'utf8')) }))
  .filter(p => p.private !== true)
  .map(p => ({ dir: p.dir, name: p.name, version: p.version }));

function sh(cmd: string, args: string[], options: SpawnSyncOptions & { cwd: string }): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 10 * MINUTES, ...options });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) {
    throw new Error(
      `${[cmd, ...args].join(' ')} (in ${options.cwd}) ${r.error ? r.error.message : `exited with ${r.status ?? r.signal}`}:\n${out.slice(-6000)}`,
    );
  }
  return out;
}

/** Files a package would be built from: everything but installs and builds. */
const SKIP = new Set(['node_modules', 'dist', '.build.lock']);
const copyTree = (from: string, to: string) => cpSync(from, to, { recursive: true, filter: src => !SKIP.has(src.slice(src.lastIndexOf(sep) + 1)) });

let work = '';
let app = '';
/** Where each package's tarball was unpacked (its `package/` directory), by package dir. */
const unpacked = new Map<string, string>();
let tscOutput = '';
let tscError = '';

beforeAll(() => {
  for (let dir = tmpdir(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) throw new Error(`${join(dir, 'node_modules')} exists: it would hide missing dependencies of the app`);
    if (dirname(dir) === dir) break;
  }
  work = mkdtempSync(join(tmpdir(), 'fastmeter-install-'));
  const workspace = join(work, 'workspace');
  const tarballs = join(work, 'tarballs');
  app = join(work, 'app');

  // 1. A clean copy of the workspace, installed from the lockfile (the store already holds everything).
  mkdirSync(join(workspace, 'packages'), { recursive: true });
  for (const f of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', 'tsconfig.base.json', '.pnpmfile.cjs', '.npmrc']) {
    if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(workspace, f));
  }
  copyTree(join(ROOT, 'scripts'), join(workspace, 'scripts'));
  for (const p of PACKAGES) copyTree(join(ROOT, 'packages', p.dir), join(workspace, 'packages', p.dir));
  const [pnpm, pre] = pnpmCommand();
  sh(pnpm, [...pre, 'install', '--frozen-lockfile', '--prefer-offline'], { cwd: workspace });

  // 2. Pack as published: prepack builds, in dependency order.
  sh(pnpm, [...pre, '-r', ...PACKAGES.flatMap(p => ['--filter', p.name]), 'pack', '--pack-destination', tarballs], { cwd: workspace });

  // 3. Unpack each tarball for inspection.
  for (const p of PACKAGES) {
    const file = join(tarballs, tarballOf(p));
    if (!existsSync(file)) throw new Error(`pnpm pack wrote no ${file} (${readdirSync(tarballs).join(', ')})`);
    const into = join(work, 'unpacked', p.dir);
    mkdirSync(into, { recursive: true });
    sh('tar', ['-xzf', file, '-C', into], { cwd: work });
    unpacked.set(p.dir, join(into, 'package'));
  }

  // 4. A new application: the tarballs and the OpenTelemetry packages of the line under test.
  const catalog: Record<string, string> = readCatalog(readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8'));
  const dependencies: Record<string, string> = {};
  for (const [name, version] of Object.entries(catalog)) if (name.startsWith('@opentelemetry/')) dependencies[name] = version;
  for (const p of PACKAGES) dependencies[p.name] = `file:${relative(app, join(tarballs, tarballOf(p)))}`;
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'fastmeter-install-test', private: true, type: 'module', dependencies }, null, 2)}\n`);
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });

  // 5. The fixtures, next to the app's node_modules; one tsc run over every usage.ts.
  cpSync(FIXTURES, app, { recursive: true, filter: src => !src.endsWith('README.md') });
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      include: ['*/*.ts'],
    }),
  );
  const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  try {
    tscOutput = sh(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: app });
  } catch (err) {
    tscError = (err as Error).message;
  }
}, 20 * MINUTES);

// Removing two installs' worth of files can take minutes on a loaded machine.
afterAll(() => {
  if (work && process.env.FASTMETER_KEEP_INSTALL !== '1') rmSync(work, { recursive: true, force: true });
  else if (work) console.log(`kept ${work}`);
}, 5 * MINUTES);

/** Markdown link targets that are not absolute URLs or same-page anchors. */
function localLinks(markdown: string): string[] {
  const targets = [
    ...markdown.matchAll(/\]\(\s*<?([^)\s>]+)>?[^)]*\)/g),
    ...markdown.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm),
    ...markdown.matchAll(/href="([^"]+)"/g),
  ].map(m => m[1]!);
  return targets.filter(t => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#')).map(t => decodeURIComponent(t.split('#')[0]!));
}

describe('packing: pnpm pack of every publishable package', () => {
  it('finds the publishable packages under packages/', () => {
    expect(PACKAGES.map(p => p.name)).toEqual(expect.arrayContaining(['@fastmeter/sdk', '@fastmeter/workers']));
  });

  describe.each(PACKAGES)('$name', p => {
    const dir = () => unpacked.get(p.dir)!;
    const manifest = () => JSON.parse(readFileSync(join(dir(), 'package.json'), 'utf8'));

    it('holds the built dist (ESM and CommonJS, with declarations), LICENSE and README', () => {
      for (const f of [
        'dist/esm/index.js',
        'dist/esm/index.d.ts',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/cjs/package.json',
        'LICENSE',
        'README.md',
      ]) {
        expect(existsSync(join(dir(), f)), `${p.name} tarball has ${f}`).toBe(true);
      }
      expect(readFileSync(join(dir(), 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
      expect(manifest().license).toBe('Apache-2.0');
    });

    it('publishes no workspace-only fields: no workspace:/catalog: ranges, devDependencies, scripts or "source" condition', () => {
      const m = manifest();
      const text = JSON.stringify(m);
      expect(text).not.toMatch(/"(workspace|catalog):/);
      expect(m.devDependencies).toBeUndefined();
      expect(m.scripts).toBeUndefined();
      expect(text).not.toContain('"source"');
      expect(existsSync(join(dir(), 'src'))).toBe(false);
    });

    it('passes publint (strict)', async () => {
      const { messages, pkg } = await publint({ pkgDir: dir(), pack: false, strict: true });
      expect(messages.map(m => `${m.type}: ${formatMessage(m, pkg, { color: false })}`)).toEqual([]);
    });

    it('has README links that resolve inside the tarball', () => {
      const broken = localLinks(readFileSync(join(dir(), 'README.md'), 'utf8')).filter(t => {
        const target = resolve(dir(), t);
        return !target.startsWith(dir() + sep) || !existsSync(target);
      });
      expect(broken, 'link to absolute URLs or to files inside the package').toEqual([]);
    });
  });
});

describe('installing: the tarballs in a new app with npm, then the README usage of each package', () => {
  describe.each(PACKAGES)('$name', p => {
    const fixture = (file: string) => join(FIXTURES, p.dir, file);

    it.each(['usage.mjs', 'usage.cjs'])('runs %s', file => {
      expect(existsSync(fixture(file)), `add test/packaging/install/${p.dir}/${file} (see test/packaging/install/README.md)`).toBe(true);
      const r = spawnSync(process.execPath, [file], { cwd: join(app, p.dir), encoding: 'utf8', timeout: 2 * MINUTES });
      expect(r.status, `node ${p.dir}/${file}:\n${r.stdout}${r.stderr}${r.error ?? ''}`).toBe(0);
    });

    it('type-checks usage.ts (tsc --strict, module nodenext)', () => {
      expect(existsSync(fixture('usage.ts')), `add test/packaging/install/${p.dir}/usage.ts (see test/packaging/install/README.md)`).toBe(true);
      const mine = (tscError || tscOutput).split('\n').filter(l => l.startsWith(`${p.dir}/`));
      expect(mine).toEqual([]);
    });
  });

  it('type-checks every usage.ts without errors', () => {
    expect(tscError).toBe('');
  });
});
