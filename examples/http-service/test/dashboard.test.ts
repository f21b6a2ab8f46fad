// The README's showcase: `npm run demo` prints the dashboard URL first, and within
// seconds the page (in a real chromium) shows the request rate, the latency
// percentiles and fastmeter's own health, without console errors. Saves a
// screenshot (.cache/artifacts/dashboard/demo.png; docs/dashboard.png with
// FASTMETER_UPDATE_SCREENSHOT=1).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { launch, needChromium, skipWithoutChromium, watchErrors } from '../../../packages/dashboard/test/browser/chromium.js';

const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe.skipIf(skipWithoutChromium())('npm run demo: the dashboard showcase', () => {
  let child: ChildProcess | undefined;
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints the dashboard URL first; the page shows request rate, latency percentiles and fastmeter health within seconds', async () => {
    const executable = needChromium();
    child = spawn(process.execPath, [MAIN, '--demo', '--port=0', '--duration=40'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', c => (out += c));
    const started = Date.now();
    while (!out.includes('\n') && Date.now() - started < 20_000) await new Promise(r => setTimeout(r, 50));
    const first = out.split('\n')[0];
    const m = /^Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(first);
    expect(m, `first line: ${first}`).not.toBeNull();

    browser = await launch(executable, { width: 1400, height: 900 });
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const errors: string[] = [];
    watchErrors(page, errors);
    const opened = Date.now();
    await page.goto(m![1]);
    // Request rate (the pinned chart) with values for the demo's routes.
    await page.waitForFunction(
      () => {
        const c = (window as any).__fastmeter.charts['pinned:0'];
        return c?.series?.some((s: any) => s.labels['http.route'] === '/api/users/:id' && s.v.some((v: number | null) => v !== null && v > 0));
      },
      null,
      { timeout: 20_000 },
    );
    // Latency percentiles of the request duration histogram, chosen by default.
    await page.waitForFunction(
      () => {
        const p = (window as any).__fastmeter.plots['quantiles:http.server.request.duration'];
        return p?.series?.length === 4 && p.data[3].some((v: number | null) => v !== null && v > 0);
      },
      null,
      { timeout: 20_000 },
    );
    // fastmeter's health: the ring's and the sdk's own metrics.
    await page.waitForSelector('#health tr[data-metric="fastmeter.ring.series"]', { timeout: 20_000 });
    const seconds = (Date.now() - opened) / 1000;
    expect(seconds).toBeLessThan(30);
    expect(await page.textContent('.card.pinned .title')).toBe('Request rate by route');
    expect(errors).toEqual([]);

    const artifacts = join(ROOT, '.cache/artifacts/dashboard');
    mkdirSync(artifacts, { recursive: true });
    await page.waitForTimeout(8000); // a little more history for the picture
    await page.screenshot({ path: join(artifacts, 'demo.png'), fullPage: true });
    if (process.env.FASTMETER_UPDATE_SCREENSHOT === '1') copyFileSync(join(artifacts, 'demo.png'), join(ROOT, 'docs/dashboard.png'));

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 90_000);
});
