// Debian's chromium driven by playwright-core (no browser download). Like the
// e2e peers (test/e2e/helpers/peers.ts): a missing chromium skips the browser
// tests with a notice locally and fails them under FASTMETER_REQUIRE_PEERS=1
// (set by .ci/run after `apt-get install chromium`).
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

export const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {}
    }
  }
  return undefined;
}

const PROBLEM = '`chromium` is not on PATH (apt-get install --no-install-recommends chromium)';

/** True when the browser tests must be skipped (chromium missing, and missing peers are allowed). */
export function skipWithoutChromium(): boolean {
  if (chromiumPath() !== undefined || process.env.FASTMETER_REQUIRE_PEERS === '1') return false;
  console.warn(`[dashboard] peer missing, browser tests skipped: ${PROBLEM}`);
  return true;
}

/** The chromium binary; throws (under FASTMETER_REQUIRE_PEERS=1) when missing. */
export function needChromium(): string {
  const path = chromiumPath();
  if (path === undefined) throw new Error(`required peer missing (FASTMETER_REQUIRE_PEERS=1): ${PROBLEM}`);
  return path;
}

export async function launch(executablePath: string, viewport = { width: 1400, height: 1000 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'fastmeter-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, viewport, args: FLAGS, timeout: 60_000 });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Collects console errors and warnings, page errors and dialogs (an XSS would open one) into `errors`. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('console', m => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', e => errors.push(`pageerror: ${e.message}`));
  page.on('dialog', d => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
}

/** The page's own render measurements (window.__fastmeter), written for bench/dashboard.mjs. */
export async function saveRenderTiming(page: Page, file: string, extra: Record<string, unknown>): Promise<{ frames: number }> {
  const timing = await page.evaluate(() => {
    const w = (window as any).__fastmeter;
    const sorted = [...w.renderMs].sort((a: number, b: number) => a - b);
    return {
      firstFrameMs: w.firstFrameAt,
      medianRenderMs: sorted[Math.floor(sorted.length / 2)],
      p95RenderMs: sorted[Math.floor(sorted.length * 0.95)],
      frames: w.frames,
      charts: Object.keys(w.plots).length,
    };
  });
  writeFileSync(file, JSON.stringify({ ...timing, ...extra, date: new Date().toISOString() }, null, 2));
  return timing;
}
