// Builds the package in the current directory twice from the same sources:
// dist/esm (ES modules, as `import` sees it) and dist/cjs (CommonJS, as `require`
// sees it), each with its own declarations. dist/cjs gets a package.json that
// marks it as CommonJS, because the package itself is "type": "module".
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const cwd = process.cwd();
// A package that reports its version at runtime keeps it in src/version.ts: it must match package.json.
const versionFile = join(cwd, 'src/version.ts');
if (existsSync(versionFile)) {
  const { version } = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  const source = readFileSync(versionFile, 'utf8');
  if (!source.includes(`'${version}'`)) throw new Error(`src/version.ts does not say '${version}' (package.json)`);
}
let tsc;
try {
  tsc = createRequire(join(cwd, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  console.error('build-package: typescript is not installed. Run `pnpm install` at the repository root first.');
  process.exit(1);
}
rmSync(join(cwd, 'dist'), { recursive: true, force: true });
const run = (...args) => execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit', cwd });
// src/ is not published: source maps carry their sources, and no declaration maps point into it.
const published = ['--inlineSources', '--declarationMap', 'false'];
run('-p', 'tsconfig.json', '--outDir', 'dist/esm', ...published);
run('-p', 'tsconfig.json', '--outDir', 'dist/cjs', ...published, '--module', 'commonjs', '--moduleResolution', 'node10', '--verbatimModuleSyntax', 'false');
mkdirSync(join(cwd, 'dist/cjs'), { recursive: true });
writeFileSync(join(cwd, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
