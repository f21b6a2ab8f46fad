// The page on a real ring, in a real browser: an application recording through
// FastMeterProvider into a RingBufferReader, another process pushing OTLP into
// the same ring through the receiver, and chromium showing it. Checks: no console
// errors; every chart's plotted values equal the ring's own answer to the same
// range query; live updates; the XSS-named metric renders as text; fastmeter's
// health panel; an alert banner; a screenshot (artifact, and docs/dashboard.png
// with FASTMETER_UPDATE_SCREENSHOT=1).
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RingBufferReader } from '@fastmeter/ring';
import { FastMeterProvider } from '@fastmeter/sdk';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEngine, type RunningDashboard, type RunningReceiver, ringSource, serveDashboard, startOtlpReceiver } from '../../src/index.js';
import { XSS } from '../fake-source.js';
import { runNode } from '../helpers.js';
import { launch, needChromium, saveRenderTiming, skipWithoutChromium, watchErrors } from './chromium.js';

const ROOT = join(import.meta.dirname, '../../../..');
const ARTIFACTS = join(ROOT, '.cache/artifacts/dashboard');
const CHILD = join(import.meta.dirname, '../fixtures/otlp-child.mjs');
const INTERVAL = 250;

describe.skipIf(skipWithoutChromium())('dashboard on a real ring (chromium)', () => {
  let ring: RingBufferReader;
  let provider: FastMeterProvider;
  let dashboard: RunningDashboard;
  let receiver: RunningReceiver;
  let alerts: AlertEngine;
  let browser: { context: BrowserContext; close(): Promise<void> } | undefined;
  let page: Page;
  let load: NodeJS.Timeout;
  const errors: string[] = [];

  beforeAll(async () => {
    const executable = needChromium();
    ring = new RingBufferReader({ intervalMillis: INTERVAL, selfMetrics: true });
    provider = new FastMeterProvider({ readers: [ring], selfMetrics: true });
    const meter = provider.getMeter('shop');
    const requests = meter.createCounter('http.server.requests', { description: 'requests served', unit: '{request}' });
    const duration = meter.createHistogram('http.server.request.duration', { unit: 's' });
    const xss = meter.createGauge(XSS, { description: `a gauge called ${XSS}`, unit: XSS });
    let i = 0;
    load = setInterval(() => {
      for (let k = 0; k < 20; k++, i++) {
        const route = i % 3 === 0 ? '/cart' : '/items/:id';
        requests.add(1, { 'http.route': route });
        duration.record(0.002 + ((i * 37) % 100) / 1000, { 'http.route': route });
      }
      xss.record(i % 10, { [XSS]: XSS });
    }, 50);

    receiver = await startOtlpReceiver({ ring, port: 0, meterProvider: provider });
    const child = await runNode([CHILD, receiver.url, 'proto', 'none'], { cwd: join(import.meta.dirname, '..') });
    expect(child.code).toBe(0);

    const source = ringSource(ring);
    alerts = new AlertEngine({
      source,
      evaluationInterval: 250,
      groupWait: 0,
      rules: [
        {
          name: 'BusyCart',
          expr: 'sum(rate(http.server.requests{http.route="/cart"}[1m])) > 1',
          labels: { team: XSS },
          annotations: { summary: `cart is busy ${XSS}` },
        },
      ],
    });
    alerts.start();
    dashboard = await serveDashboard({ source, alerts, receiver: receiver.receiver, port: 0, resolutionMs: INTERVAL, log: null, title: 'shop' });
    await new Promise(r => setTimeout(r, 3 * INTERVAL));

    browser = await launch(executable);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    watchErrors(page, errors);
    await page.goto(dashboard.url);
    await page.waitForFunction(() => (window as any).__fastmeter?.firstFrameAt > 0, null, { timeout: 20_000 });
  }, 120_000);

  afterAll(async () => {
    clearInterval(load);
    await browser?.close();
    await alerts?.stop();
    await dashboard?.close();
    await receiver?.close();
    await provider?.shutdown();
  });

  /** The plotted data of a chart and the ring's answer to the same range query. */
  async function compare(id: string, expr: string) {
    await page.waitForFunction(i => (window as any).__fastmeter.plots[i]?.data?.[0]?.length > 4, id, { timeout: 15_000 });
    const { data, chart } = await page.evaluate(i => ({ data: (window as any).__fastmeter.plots[i].data, chart: (window as any).__fastmeter.charts[i] }), id);
    expect(chart.grid).toBeDefined();
    const { start, step, n } = chart.grid;
    // The page leaves out the steps before the first point of any series.
    const first = n - data[0].length;
    expect(data[0]).toEqual(Array.from({ length: n - first }, (_, k) => (start + (first + k) * step) / 1000));
    const end = start + (n - 1) * step;
    const answer = ring.query(expr, { time: end, range: end - start, step });
    expect(answer.series.length).toBeGreaterThan(0);
    expect(chart.series.length).toBe(answer.series.length);
    let compared = 0;
    chart.series.forEach((s: any, k: number) => {
      const want = answer.series.find(
        a => JSON.stringify({ ...a.labels }) === JSON.stringify(Object.fromEntries(Object.entries(s.labels).filter(([l]) => l !== 'quantile'))),
      );
      expect(want, JSON.stringify(s.labels)).toBeDefined();
      const expected: (number | null)[] = new Array(n).fill(null);
      want!.times.forEach((t, j) => {
        expected[(t - start) / step] = Number.isNaN(want!.values[j]) ? null : want!.values[j];
      });
      expect(data[k + 1]).toEqual(expected.slice(first));
      expect(expected.slice(0, first).every(v => v === null)).toBe(true);
      compared += expected.filter(v => v !== null).length;
    });
    expect(compared).toBeGreaterThan(4);
  }

  it('loads with no console errors', () => {
    expect(errors).toEqual([]);
  });

  it('plots counters as rates equal to ring.query', async () => {
    await compare('rate:http.server.requests', 'rate(http.server.requests[1m])');
  });

  it('plots histogram quantiles equal to ring.query', async () => {
    const id = 'quantiles:http.server.request.duration';
    await page.waitForFunction(i => (window as any).__fastmeter.plots[i]?.series?.length === 4, id, { timeout: 15_000 });
    const labels = await page.evaluate(i => (window as any).__fastmeter.plots[i].series.slice(1).map((s: any) => s.label), id);
    expect(labels).toEqual(['p50', 'p90', 'p99']);
    const { data, chart } = await page.evaluate(i => ({ data: (window as any).__fastmeter.plots[i].data, chart: (window as any).__fastmeter.charts[i] }), id);
    const { start, step, n } = chart.grid;
    const end = start + (n - 1) * step;
    const first = n - data[0].length;
    for (const [k, q] of [0.5, 0.9, 0.99].entries()) {
      const answer = ring.query(`histogram_quantile(${q}, sum(rate(http.server.request.duration[1m])))`, { time: end, range: end - start, step });
      const expected: (number | null)[] = new Array(n).fill(null);
      answer.series[0].times.forEach((t, j) => {
        expected[(t - start) / step] = Number.isNaN(answer.series[0].values[j]) ? null : answer.series[0].values[j];
      });
      expect(data[k + 1]).toEqual(expected.slice(first));
      expect(expected.filter(v => v !== null).length).toBeGreaterThan(2);
    }
  });

  it('lists the series pushed over OTLP by another process, with its service.name', async () => {
    await page.fill('#search', 'child-proto');
    const names = await page.$$eval('#metric-list li.metric .name', els => els.map(e => e.textContent));
    expect(names).toEqual(expect.arrayContaining(['http.server.requests', 'job.size', 'room.temperature']));
    await page.fill('#search', '');
  });

  it('updates live', async () => {
    const before = await page.evaluate(() => (window as any).__fastmeter.lastFrame);
    await page.waitForFunction(t => (window as any).__fastmeter.lastFrame > t + 2 * 250, before, { timeout: 10_000 });
  });

  it('renders the XSS-named metric, its attribute and description as text', async () => {
    await page.fill('#search', 'onerror');
    await page.locator('#metric-list li.metric', { hasText: 'gauge' }).first().waitFor();
    const card = `.card[data-chart="value:${XSS}"]`;
    if ((await page.$(card)) === null) await page.locator('#metric-list li.metric', { hasText: 'gauge' }).first().click();
    await page.waitForSelector(`${card} .u-legend`, { timeout: 10_000 });
    expect(await page.textContent(`${card} .title`)).toBe(XSS);
    expect(await page.textContent(`${card} .sub`)).toContain(`a gauge called ${XSS}`);
    expect(await page.textContent(`${card} .u-legend`)).toContain(`${XSS}="${XSS}"`);
    expect(await page.$$('img')).toHaveLength(0);
    await page.fill('#search', '');
  });

  it('shows fastmeter health and the alert banner', async () => {
    await page.waitForSelector('#health tr[data-metric="fastmeter.ring.series"]', { timeout: 15_000 });
    await page.waitForSelector('#health tr[data-metric="fastmeter.receiver.points"]', { timeout: 15_000 });
    const rows = await page.$$eval('#health tr[data-metric]', els => els.map(e => e.getAttribute('data-metric')));
    expect(rows).toEqual(expect.arrayContaining(['fastmeter.ring.series', 'fastmeter.ring.bytes', 'fastmeter.series.created']));
    await page.waitForSelector('#alerts .alert.firing', { timeout: 15_000 });
    const banner = await page.textContent('#alerts .alert.firing');
    expect(banner).toContain('BusyCart');
    expect(banner).toContain(`cart is busy ${XSS}`);
    expect(await page.$$('img')).toHaveLength(0);
  });

  it('saves screenshots and the render timings', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    const file = join(ARTIFACTS, 'dashboard-ring.png');
    await page.screenshot({ path: file });
    if (process.env.FASTMETER_UPDATE_SCREENSHOT === '1') copyFileSync(file, join(ROOT, 'docs/dashboard.png'));
    const timing = await saveRenderTiming(page, join(ARTIFACTS, 'render.json'), { source: 'ring', browser: browser?.context.browser()?.version() ?? '' });
    expect(timing.frames).toBeGreaterThan(3);
    expect(errors).toEqual([]);
  });
});
