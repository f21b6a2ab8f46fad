// serveDashboard without a browser: binding and tokens, Host and Origin checks,
// the WebSocket stream (subscription, frames, downsampling to pixel width), the
// JSON API, and M4 downsampling itself.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DashboardConfigError, type QuerySource, type RunningDashboard, computeChart, m4, serveDashboard } from '../../src/index.js';
import { startLine } from '../../src/server/dashboard.js';
import { FakeSource } from '../fake-source.js';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, res => {
      let body = '';
      res.on('data', c => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; messages: any[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: any[] = [];
    ws.on('message', data => messages.push(JSON.parse(String(data))));
    ws.on('open', () => resolve({ ws, messages }));
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function until<T>(f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 20));
  }
}

describe('computeChart', () => {
  it('downsamples a series denser than the pixel width, keeping its own timestamps', async () => {
    const dense: QuerySource = {
      instant: async () => [],
      metrics: async () => [],
      range: async (_e, start, end) => {
        const timestamps: number[] = [];
        for (let t = start; t <= end; t += 10) timestamps.push(t);
        return [{ labels: {}, timestamps, values: timestamps.map((t, i) => (i % 2 ? t : -t)) }];
      },
    };
    const chart = await computeChart(dense, { id: 'x', view: 'expr', expr: 'x', windowMs: 60_000, width: 100 }, 1_700_000_000_000, 1);
    expect(chart.grid).toBeUndefined();
    expect(chart.series[0].t!.length).toBeLessThanOrEqual(400);
    expect(chart.series[0].t!.length).toBeGreaterThan(100);
  });
});

describe('m4 downsampling', () => {
  it('keeps first, min, max and last of every pixel column', () => {
    const t = Array.from({ length: 10_000 }, (_, i) => i);
    const v = t.map(i => Math.sin(i / 50) * 100 + (i % 97 === 0 ? 500 : 0));
    const { t: dt, v: dv } = m4(t, v, 100, 0, 10_000);
    expect(dt.length).toBeLessThanOrEqual(400);
    expect(dt.length).toBeGreaterThan(200);
    // Extremes survive: the spikes and the global minimum.
    expect(Math.max(...dv)).toBe(Math.max(...v));
    expect(Math.min(...dv)).toBe(Math.min(...v));
    for (let i = 1; i < dt.length; i++) expect(dt[i]).toBeGreaterThan(dt[i - 1]);
    expect(dt[0]).toBe(0);
    expect(dt.at(-1)).toBe(9999);
    // Short series are returned as they are.
    expect(m4([1, 2], [3, 4], 100, 0, 10)).toEqual({ t: [1, 2], v: [3, 4] });
  });
});

describe('serveDashboard', () => {
  let dashboard: RunningDashboard;
  const source = new FakeSource();
  beforeAll(async () => {
    dashboard = await serveDashboard({ source, port: 0, log: null });
  });
  afterAll(() => dashboard.close());

  it('binds 127.0.0.1 by default and serves the page with a strict CSP', async () => {
    expect(dashboard.host).toBe('127.0.0.1');
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/`);
    const page = await get(dashboard.port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.body).toMatch(/vendor\/uPlot\.iife\.min\.js/);
    expect(page.body).not.toMatch(/https?:\/\//); // nothing from a CDN
    expect((await get(dashboard.port, '/vendor/uPlot.iife.min.js')).body).toMatch(/uPlot/);
    expect((await get(dashboard.port, '/nope')).status).toBe(404);
  });

  it('answers only to loopback Host headers (no DNS rebinding)', async () => {
    expect((await get(dashboard.port, '/', { host: `localhost:${dashboard.port}` })).status).toBe(200);
    expect((await get(dashboard.port, '/', { host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses a cross-origin WebSocket', async () => {
    await expect(connect(`ws://127.0.0.1:${dashboard.port}/ws`, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const { ws } = await connect(`ws://127.0.0.1:${dashboard.port}/ws`, { origin: `http://127.0.0.1:${dashboard.port}` });
    ws.close();
  });

  it('streams frames downsampled to the chart width', async () => {
    const { ws, messages } = await connect(`ws://127.0.0.1:${dashboard.port}/ws`);
    await until(() => messages.find(m => m.type === 'metrics'));
    expect(messages[0]).toMatchObject({ type: 'hello', maxFps: 60 });
    ws.send(
      JSON.stringify({ type: 'subscribe', fps: 60, charts: [{ id: 'a', metric: 'http.server.requests', view: 'rate', windowMs: 3_600_000, width: 120 }] }),
    );
    const frame = await until(() => messages.find(m => m.type === 'frame'));
    const chart = frame.charts[0];
    expect(chart.id).toBe('a');
    expect(chart.series).toHaveLength(2);
    // One hour at a step of one pixel column (30 s): 121 points on a shared grid.
    expect(chart.grid).toMatchObject({ step: 30_000, n: 121 });
    expect(chart.grid.start % 30_000).toBe(0);
    const want = await source.range('rate(http.server.requests[1m])', chart.grid.start, chart.grid.start + 120 * 30_000, 30_000);
    for (const s of chart.series) {
      expect(s.t).toBeUndefined();
      expect(s.v).toEqual(want.find(w => w.labels.route === s.labels.route)?.values);
    }
    // Invalid messages get an error, not a crash.
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'subscribe', charts: [{ id: 7 }] }));
    await until(() => (messages.filter(m => m.type === 'error').length >= 2 ? true : undefined));
    ws.close();
  });

  it("answers queries in Prometheus' response shape", async () => {
    const r = JSON.parse((await get(dashboard.port, '/api/query?query=fastmeter.breaker.state&time=1700000000')).body);
    expect(r).toEqual({ status: 'success', data: { resultType: 'vector', result: [{ metric: { exporter: 'otlp' }, value: [1_700_000_000, '2'] }] } });
    const bad = await get(dashboard.port, '/api/query?query=nope');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/unknown query nope/);
    const range = JSON.parse((await get(dashboard.port, '/api/query_range?query=fastmeter.breaker.state&start=1700000000&end=1700000060&step=30')).body);
    expect(range.data.result[0].values).toEqual([
      [1_700_000_000, '2'],
      [1_700_000_030, '2'],
      [1_700_000_060, '2'],
    ]);
    expect(JSON.parse((await get(dashboard.port, '/api/metrics')).body).data.map((m: any) => m.name)).toContain('http.server.requests');
  });
});

describe('limits', () => {
  it('refuses WebSocket connections past maxClients with 503', async () => {
    const d = await serveDashboard({ source: new FakeSource(), port: 0, log: null, maxClients: 2 });
    try {
      const a = await connect(`ws://127.0.0.1:${d.port}/ws`);
      const b = await connect(`ws://127.0.0.1:${d.port}/ws`);
      await expect(connect(`ws://127.0.0.1:${d.port}/ws`)).rejects.toThrow(/503/);
      expect(d.clients).toBe(2);
      a.ws.close();
      b.ws.close();
    } finally {
      await d.close();
    }
  });
});

describe('tokens', () => {
  const source: QuerySource = new FakeSource();

  it('requires a token on a non-loopback host (checked before binding), and says so on start', async () => {
    await expect(serveDashboard({ source, host: '0.0.0.0', port: 0, log: null })).rejects.toThrow(DashboardConfigError);
    await expect(serveDashboard({ source, host: '192.0.2.1', port: 0, log: null, token: 'short' })).rejects.toThrow(/FM_DASHBOARD_TOKEN_REQUIRED/);
    expect(startLine('http://0.0.0.0:9470/', false, true)).toMatch(
      /non-loopback address: every request needs the token \(Authorization: Bearer <token> or \?token=<token>\)/,
    );
  });

  it('enforces a token (Bearer or ?token=) on every route and the WebSocket', async () => {
    const lines: string[] = [];
    const d = await serveDashboard({ source, port: 0, token: 'sixteen-chars-token!', log: l => lines.push(l) });
    try {
      expect(lines[0]).toMatch(/the token is required/);
      expect(d.url).toBe(`http://127.0.0.1:${d.port}/?token=sixteen-chars-token!`);
      expect((await get(d.port, '/')).status).toBe(401);
      expect((await get(d.port, '/', { authorization: 'Bearer sixteen-chars-token!' })).status).toBe(200);
      expect((await get(d.port, '/?token=sixteen-chars-token!')).status).toBe(200);
      expect((await get(d.port, '/api/metrics?token=wrong-token-xxxxxxx')).status).toBe(401);
      await expect(connect(`ws://127.0.0.1:${d.port}/ws`)).rejects.toThrow(/401/);
      const { ws } = await connect(`ws://127.0.0.1:${d.port}/ws?token=sixteen-chars-token!`);
      ws.close();
    } finally {
      await d.close();
    }
  });
});
