// Runs the example for real: a pool of worker threads recording through the
// standard API, the main thread serving the PrometheusExporter's /metrics. The
// totals scraped must equal the jobs done, across recycled threads.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));

function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${buffered}`)), timeoutMs);
    child.stdout?.on('data', chunk => {
      buffered += chunk;
      const m = buffered.match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

/** Sum over the lines `re` matches; fails when none does (a sum over no lines is 0, which would hide a missing series). */
function sum(text: string, re: RegExp): number {
  const values = [...text.matchAll(re)].map(m => Number(m[1]));
  expect(values.length, `no line matches ${re} in:\n${text}`).toBeGreaterThan(0);
  return values.reduce((a, b) => a + b, 0);
}

describe('examples/worker-pool', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('exports exact totals of what the pool threads recorded, across recycled threads', async () => {
    // Plain Node, as a user runs it (the test process resolves TypeScript sources).
    child = spawn(process.execPath, [MAIN, '--port=0', '--workers=3', '--jobs=1500', '--recycle-every=400'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      execArgv: [],
    } as never);
    const [, url] = await waitForLine(child, /Prometheus metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/, 20_000);
    await waitForLine(child, /all 1500 jobs done/, 25_000);
    const text = await (await fetch(url)).text();
    expect(sum(text, /^jobs_processed_total\{[^}]*\} (\d+)$/gm)).toBe(1500);
    expect(sum(text, /^jobs_duration_count\{[^}]*\} (\d+)$/gm)).toBe(1500);
    expect(sum(text, /^jobs_duration_bucket\{[^}]*le="\+Inf"\} (\d+)$/gm)).toBe(1500);
    expect(sum(text, /^pool_jobs_submitted_total\{[^}]*\} (\d+)$/gm)).toBe(1500);
    expect(sum(text, /^pool_threads_recycled_total\{[^}]*\} (\d+)$/gm)).toBe(3);
    // Back to 0 once every job is done, per job type; the series exist (as they would on the main thread).
    expect(sum(text, /^jobs_in_flight\{[^}]*job_type="hash"[^}]*\} (-?\d+)$/gm)).toBe(0);
    expect(sum(text, /^jobs_in_flight\{[^}]*job_type="primes"[^}]*\} (-?\d+)$/gm)).toBe(0);
    // 1000 hash jobs of 20k-50k items, 500 of them of each size class: the item total is exact too.
    let items = 0;
    for (let i = 0; i < 1500; i++) items += i % 3 === 0 ? 20_000 + (i % 7) * 5_000 : 2_000 + (i % 11) * 300;
    expect(sum(text, /^jobs_items_total\{[^}]*\} (\d+)$/gm)).toBe(items);
    expect(text).toMatch(/^target_info\{service_name="worker-pool",service_version="1.0.0"\} 1$/m);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
