// The page in a real browser (Debian chromium through playwright-core), on the
// deterministic FakeSource: no console errors, charts equal to the source's
// answers, live updates, escaping, health panel, alert banners, screenshot.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEngine, type RunningDashboard, serveDashboard } from '../../src/index.js';
import { FakeSource, XSS } from '../fake-source.js';
import { launch, needChromium, saveRenderTiming, skipWithoutChromium, watchErrors } from './chromium.js';

const ARTIFACTS = join(import.meta.dirname, '../../../../.cache/artifacts/dashboard');

describe.skipIf(skipWithoutChromium())('dashboard page (chromium)', () => {
  let dashboard: RunningDashboard;
  let browser: { context: BrowserContext; close(): Promise<void> } | undefined;
  let page: Page;
  const source = new FakeSource();
  const errors: string[] = [];
  let alerts: AlertEngine;

  beforeAll(async () => {
    const executable = needChromium();
    alerts = new AlertEngine({
      source,
      rules: [{ name: 'BreakerOpen', expr: 'fastmeter.breaker.state >= 2', labels: { severity: XSS }, annotations: { summary: `breaker ${XSS}` } }],
    });
    await alerts.evaluate();
    dashboard = await serveDashboard({
      source,
      port: 0,
      alerts,
      log: null,
      charts: [{ title: `requests ${XSS}`, expr: 'rate(http.server.requests[1m])', unit: '/s' }],
    });
    browser = await launch(executable);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    watchErrors(page, errors);
    await page.goto(dashboard.url);
    await page.waitForFunction(() => (window as any).__fastmeter?.firstFrameAt > 0, null, { timeout: 20_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it('loads with no console errors and draws the default charts', async () => {
    const charts = await page.$$eval('.card .title', els => els.map(e => e.textContent));
    expect(charts).toEqual(expect.arrayContaining(['http.server.requests', 'http.server.duration']));
    expect(errors).toEqual([]);
  });

  it('shows counters as rates equal to the source answers', async () => {
    const id = 'rate:http.server.requests';
    await page.waitForFunction(i => (window as any).__fastmeter.plots[i]?.data?.[0]?.length > 10, id, { timeout: 10_000 });
    const { data, labels, chart } = await page.evaluate(i => {
      const w = (window as any).__fastmeter;
      return { data: w.plots[i].data, labels: w.plots[i].series.map((s: any) => s.label), chart: w.charts[i] };
    }, id);
    expect(labels.slice(1).sort()).toEqual([`{route="${XSS}"}`, '{route="/a"}'].sort());
    // The plotted points are what the source answers for the same range query.
    const t = data[0].map((s: number) => Math.round(s * 1000));
    const step = t[1] - t[0];
    const answers = await source.range('rate(http.server.requests[1m])', t[0], t.at(-1), step);
    for (const [k, s] of chart.series.entries()) {
      const want = answers.find(a => a.labels.route === s.labels.route)!;
      expect(want).toBeDefined();
      const plotted = data[k + 1];
      expect(plotted.length).toBe(want.values.length);
      expect(plotted).toEqual(want.values);
    }
  });

  it('shows the pinned charts first, with their query', async () => {
    await page.waitForFunction(() => (window as any).__fastmeter.plots['pinned:0']?.data?.[0]?.length > 10, null, { timeout: 10_000 });
    const titles = await page.$$eval('.card .title', els => els.map(e => e.textContent));
    expect(titles[0]).toBe(`requests ${XSS}`);
    // Both read in one evaluation (a frame may land between two); charts fed by different
    // frames may still differ by one slide of the window, so a few frames are allowed for them to agree.
    const both = () =>
      page.evaluate(() => {
        const plots = (window as any).__fastmeter.plots;
        return [plots['pinned:0'].data, plots['rate:http.server.requests'].data];
      });
    let [pinned, rate] = await both();
    for (let i = 0; i < 10 && JSON.stringify(pinned) !== JSON.stringify(rate); i++) {
      await page.waitForTimeout(100);
      [pinned, rate] = await both();
    }
    expect(pinned).toEqual(rate);
  });

  it('shows histograms as p50/p90/p99 lines', async () => {
    const id = 'quantiles:http.server.duration';
    await page.waitForFunction(i => (window as any).__fastmeter.plots[i]?.data?.length === 4, id, { timeout: 10_000 });
    const labels = await page.evaluate(i => (window as any).__fastmeter.plots[i].series.map((s: any) => s.label), id);
    expect(labels.slice(1)).toEqual(['p50', 'p90', 'p99']);
  });

  it('switches a histogram to its heatmap', async () => {
    await page.locator('.card[data-chart="quantiles:http.server.duration"] .views button', { hasText: 'heatmap' }).click();
    const id = 'heatmap:http.server.duration';
    await page.waitForFunction(i => (window as any).__fastmeter.plots[i]?.rows === 4, id, { timeout: 10_000 });
    expect(await page.$$(`.card[data-chart="${id}"] canvas.heatmap`)).toHaveLength(1);
    await page.locator(`.card[data-chart="${id}"] .views button`, { hasText: 'p50' }).click();
    await page.waitForSelector('.card[data-chart="quantiles:http.server.duration"] .u-legend', { timeout: 10_000 });
  });

  it('updates live', async () => {
    const before = await page.evaluate(() => (window as any).__fastmeter.frames);
    await page.waitForFunction(n => (window as any).__fastmeter.frames > n + 2, before, { timeout: 10_000 });
  });

  it('renders a metric named like an XSS payload as text', async () => {
    await page.fill('#search', 'img src');
    const listed = await page.$$eval('#metric-list li.metric .name', els => els.map(e => e.textContent));
    // The search looks at names and attribute values: the payload metric, and the counter with a payload route.
    expect(listed.sort()).toEqual([XSS, 'http.server.requests'].sort());
    await page.fill('#search', 'onerror=alert');
    // Chosen by default; the picker toggles it off and on again.
    const card = `.card[data-chart="value:${XSS}"]`;
    await page.waitForSelector(card, { timeout: 10_000 });
    await page.locator('#metric-list li.metric', { hasText: 'gauge' }).click();
    await page.waitForSelector(card, { state: 'detached', timeout: 10_000 });
    await page.locator('#metric-list li.metric', { hasText: 'gauge' }).click();
    await page.waitForSelector(`.card[data-chart="value:${XSS}"] .u-legend`, { timeout: 10_000 });
    expect(await page.$$('img')).toHaveLength(0);
    const title = await page.textContent(`.card[data-chart="value:${XSS}"] .title`);
    expect(title).toBe(XSS);
    const sub = await page.textContent(`.card[data-chart="value:${XSS}"] .sub`);
    expect(sub).toContain(XSS);
    await page.fill('#search', '');
  });

  it('shows fastmeter health and the alert banner, escaped', async () => {
    await page.waitForSelector('#health tr[data-metric="fastmeter.breaker.state"]', { timeout: 10_000 });
    expect(await page.textContent('#health tr[data-metric="fastmeter.breaker.state"] td.value')).toBe('open');
    expect(await page.textContent('#health tr[data-metric="fastmeter.sampler.probability"] td.value')).toBe('p = 0.25');
    const banner = await page.textContent('#alerts .alert.firing');
    expect(banner).toContain('BreakerOpen');
    expect(banner).toContain(`breaker ${XSS}`);
    expect(await page.$$('img')).toHaveLength(0);
  });

  it('saves a screenshot and the render timings (for bench/dashboard.mjs)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'page-fake-source.png'), fullPage: true });
    const timing = await saveRenderTiming(page, join(ARTIFACTS, 'render-fake.json'), { source: 'fake', browser: browser?.context.browser()?.version() ?? '' });
    expect(timing.frames).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
