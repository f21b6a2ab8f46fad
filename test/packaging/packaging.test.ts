// The published shape: dist/cjs for require(), dist/esm for import, each with
// declarations, behind the package's exports map. Runs against the build
// (`pnpm build`), in child processes, as an application would load it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, 'fixtures');
const SDK_DIST = join(HERE, '../../packages/sdk/dist');

function node(file: string): { value: number; file: string } {
  return JSON.parse(execFileSync(process.execPath, [join(FIXTURES, file)], { cwd: HERE, encoding: 'utf8', timeout: 20_000 }));
}

describe('@fastmeter/sdk packaging', () => {
  it('is built (pnpm build ran)', () => {
    expect(existsSync(join(SDK_DIST, 'cjs/index.js'))).toBe(true);
    expect(existsSync(join(SDK_DIST, 'esm/index.js'))).toBe(true);
  });

  it('require() loads the CommonJS build and records', () => {
    const out = node('consumer.cjs');
    expect(out.value).toBe(5);
    expect(out.file).toMatch(/dist[\\/]cjs[\\/]index\.js$/);
  });

  it('import loads the ES module build and records', () => {
    const out = node('consumer.mjs');
    expect(out.value).toBe(5);
    expect(out.file).toMatch(/dist\/esm\/index\.js$/);
  });

  it('ships declarations that type-check from both module systems', () => {
    const tsc = createRequire(join(HERE, '../../package.json')).resolve('typescript/bin/tsc');
    expect(() =>
      execFileSync(process.execPath, [tsc, '-p', join(FIXTURES, 'tsconfig.json')], { cwd: FIXTURES, encoding: 'utf8', timeout: 60_000 }),
    ).not.toThrow();
  });
});
