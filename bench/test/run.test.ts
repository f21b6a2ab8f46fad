// bench/run.mjs as a check: it must be able to fail. Runs the real run.mjs with the core suites
// deselected (ONLY matches no core benchmark) and a folder of fake area scripts
// (BENCH_AREAS_DIR), so the verdict logic is exercised end to end in about a second.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
let areas = '';

/** An area script that writes `results/<name>.md` with these target rows, then exits with `code`. */
function area(name: string, rows: string[], code = 0) {
  const md = `## Fake ${name}\\n\\nargs: \${process.argv.slice(2).join(' ')}\\n\\n| target | measured | result |\\n|---|---|---|\\n${rows.join('\\n')}\\n`;
  writeFileSync(
    join(areas, `${name}.mjs`),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('results/${name}.md', import.meta.url), \`${md}\`);\nprocess.exit(${code});\n`,
  );
}

function run(only: string, extra: string[] = ['--check']) {
  const r = spawnSync(process.execPath, ['--expose-gc', 'run.mjs', ...extra, '--only', only], {
    cwd: BENCH,
    encoding: 'utf8',
    env: { ...process.env, BENCH_AREAS_DIR: areas, ONLY: '' },
    timeout: 120_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  areas = mkdtempSync(join(tmpdir(), 'fastmeter-bench-areas-'));
  mkdirSync(join(areas, 'results'));
  area('fake-missed', ['| fast enough | 1.5× | ❌ short by 2× |', '| small enough | 10 B | ✅ |']);
  area('fake-met', ['| fast enough | 3× | ✅ |']);
  area('fake-broken', ['| fast enough | 3× | ✅ |'], 3);
});

afterAll(() => rmSync(areas, { recursive: true, force: true }));

describe('bench/run.mjs --check', () => {
  it('exits non-zero on a MISSED target', () => {
    const { status, out } = run('^fake-missed$');
    expect(out).toMatch(/^\s*MISSED \[fake-missed\] fast enough: 1\.5×/m);
    expect(out).toMatch(/^\s*met\s+\[fake-missed\] small enough: 10 B/m);
    expect(out).toContain('1 target(s) MISSED');
    expect(status).toBe(1);
  });

  it('exits 0 when every target is met, and runs the area with --quick', () => {
    const { status, out } = run('^fake-met$');
    expect(out).toMatch(/area fake-met: node --expose-gc fake-met\.mjs --quick/);
    expect(out).toMatch(/^\s*met\s+\[fake-met\] fast enough: 3×/m);
    expect(status, out).toBe(0);
  });

  it('exits non-zero when an area script fails', () => {
    const { status, out } = run('^fake-broken$');
    expect(out).toContain('area(s) failed: fake-broken');
    expect(status).toBe(1);
  });

  it('leaves results/<area>.md as the last full run wrote it', () => {
    writeFileSync(join(areas, 'results/fake-met.md'), '## Fake fake-met\n\nfrom a full run\n');
    run('^fake-met$');
    expect(readFileSync(join(areas, 'results/fake-met.md'), 'utf8')).toContain('from a full run');
    rmSync(join(areas, 'results/fake-met.md'));
    run('^fake-met$');
    expect(existsSync(join(areas, 'results/fake-met.md'))).toBe(false);
  });

  it('includes every area section in the report of a partial run (RESULTS.partial.md)', () => {
    const partial = join(BENCH, 'RESULTS.partial.md');
    const { out } = run('^fake-m', []);
    expect(out).toContain('wrote bench/RESULTS.partial.md');
    const report = readFileSync(partial, 'utf8');
    expect(report).toContain('## Fake fake-met');
    expect(report).toContain('## Fake fake-missed');
    expect(report).toContain('| fast enough | 1.5× | ❌ short by 2× |');
  });
});
