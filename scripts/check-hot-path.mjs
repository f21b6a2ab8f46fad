// Architecture lint: the record path never reads a clock or builds a string
// key. These files hold record functions and the interner's hot lookup; a clock
// read (Date.now, performance.now, new Date) or JSON.stringify there is a defect.
// (Series creation and first touch per interval read the clock in collect/stream.ts,
// off the per-record path; the miss path in intern/normalize.ts may encode arrays.)
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FILES = [
  'packages/sdk/src/api/record.ts',
  'packages/sdk/src/api/bind.ts',
  'packages/sdk/src/intern/trie.ts',
  'packages/sdk/src/storage/sum-cells.ts',
  'packages/sdk/src/storage/last-value-cells.ts',
  'packages/sdk/src/storage/histogram-cells.ts',
  'packages/workers/src/worker/record.ts',
  'packages/workers/src/worker/series.ts',
  'packages/sdk/src/api/weighted.ts',
  'packages/processors/src/sampling/record.ts',
  'packages/processors/src/sampling/state.ts',
];
const BANNED = [/\bDate\.now\s*\(/, /\bperformance\.now\s*\(/, /\bnew Date\s*\(/, /\bJSON\.stringify\s*\(/];
let problems = 0;
for (const file of FILES) {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim().startsWith('//') || line.trim().startsWith('*')) return;
    for (const re of BANNED) {
      if (re.test(line)) {
        console.error(`${file}:${i + 1}: ${re.source} is banned on the record path: ${line.trim()}`);
        problems++;
      }
    }
  });
}
if (problems > 0) process.exit(1);
console.log(`hot-path check: ${FILES.length} files clean`);
