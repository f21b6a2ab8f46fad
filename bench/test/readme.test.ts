// What the READMEs say about the benchmarks: bench/README.md cites only what the repository
// holds, and the repository README quotes bench/RESULTS.md's targets (met and missed) exactly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, quoteResults } from '../lib/quote.mjs';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(BENCH, '..');
const read = (path: string) => readFileSync(path, 'utf8');

describe('bench/README.md', () => {
  const text = read(join(BENCH, 'README.md'));

  it('has no machine-specific absolute paths', () => {
    expect(text.match(/(^|[\s`'"(])\/(work|tmp|root|home|Users|var)\/\S*/gm) ?? []).toEqual([]);
  });

  it('cites only files that are in the repository', () => {
    // File-like names in code spans and link targets: relative to bench/, or to the repository root.
    const cited = [...text.matchAll(/`([\w.<>/-]+\.(?:mjs|md|js|ts|json))`/g), ...text.matchAll(/\]\(([^)#\s]+)\)/g)]
      .map(m => m[1]!)
      .filter(f => !f.includes('<') && !/^[a-z]+:/.test(f));
    expect(cited.length).toBeGreaterThan(5);
    const missing = cited.filter(f => !existsSync(join(BENCH, f)) && !existsSync(join(ROOT, f)) && !existsSync(join(BENCH, 'lib', f)));
    expect(missing).toEqual([]);
  });
});

describe('README.md quotes bench/RESULTS.md', () => {
  const readme = read(join(ROOT, 'README.md'));
  const results = read(join(BENCH, 'RESULTS.md'));

  it('holds the targets block generated from the current RESULTS.md (run pnpm bench, or bench/lib/quote.mjs, to refresh it)', () => {
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start, 'README.md has the bench:targets block').toBeGreaterThan(-1);
    expect(readme.slice(start, end + END.length)).toBe(quoteResults(results));
  });

  it('lists every missed target of RESULTS.md', () => {
    const missed = results.split('\n').filter(l => l.startsWith('|') && l.includes('❌'));
    expect(missed.length).toBeGreaterThan(0); // RESULTS.md of 98665a9 and later: the two collect + export targets
    const quoted = readme.split('\n').filter(l => l.startsWith('- ❌ '));
    for (const row of missed) {
      const measured = row.split('|')[2]!.trim();
      expect(
        quoted.some(l => l.includes(measured)),
        `README quotes the missed target measured as "${measured}"`,
      ).toBe(true);
    }
  });

  it('quotes no figure of its own for the record path (the old "~16 ns" matched no table)', () => {
    expect(readme).not.toMatch(/~\s?\d+(\.\d+)? ?ns against/);
  });
});
