// serveDashboard: one page, its assets, a small JSON API and a WebSocket stream
// of query results from a ring. See session.ts for the stream protocol.
//
//   GET /                      the page          GET /api/metrics       metrics and series
//   GET /app.js, /app.css,     its files         GET /api/query         instant query (Prometheus' response shape)
//   /vendor/uPlot.*            uPlot from npm    GET /api/query_range   range query
//   GET /ws                    WebSocket         GET /api/alerts        alerts, rules, notifications
//   POST /v1/metrics           OTLP (with the `receiver` option)      GET /api/health   liveness
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import type { AlertEngine } from '../alerts/engine.js';
import { DashboardConfigError } from '../common/errors.js';
import { selector } from '../query/presets.js';
import type { MetricInfo, QuerySource } from '../query/source.js';
import type { OtlpMetricsReceiver } from '../receiver/receiver.js';
import { type Asset, loadAssets } from './assets.js';
import { Gate, isLoopback } from './auth.js';
import { Session } from './session.js';

export const DEFAULT_UI_PORT = 9470;
/** The meter whose metrics are fastmeter's own (the health panel). */
export const SELF_METER = 'fastmeter';

export interface DashboardOptions {
  /** Where the data comes from: `ringSource(ring)`, or any QuerySource. */
  source: QuerySource;
  /** Default 9470; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Any non-loopback address requires `token`. */
  host?: string;
  /** Required on non-loopback hosts: clients send `Authorization: Bearer <token>` or `?token=`. */
  token?: string;
  /** Its alerts are shown as banners on the page. */
  alerts?: AlertEngine;
  /** Also accept OTLP/HTTP metrics at POST /v1/metrics on the same port. */
  receiver?: OtlpMetricsReceiver;
  /** Page title (default "dashboard"). */
  title?: string;
  /**
   * Charts shown first on every page, each a query (e.g. a request rate summed by
   * route): `{ title, expr, unit? }`. The metric picker adds to them.
   */
  charts?: { title: string; expr: string; unit?: string }[];
  /** Highest frame rate a page may ask for (default 60). */
  maxFps?: number;
  /** The ring's collection interval: no chart steps finer than this (default 1000 ms). */
  resolutionMs?: number;
  /** Where the start line goes (default console.log); null for none. */
  log?: ((line: string) => void) | null;
  /** Time source (default Date.now). */
  clock?: () => number;
  /** Pages connected at once (default 32); further WebSocket connections get 503. */
  maxClients?: number;
}

export interface RunningDashboard {
  /** The page's URL (with `?token=` when a token is set). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Pages connected right now. */
  readonly clients: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A Prometheus-style sample value: numbers as strings, with NaN and ±Inf spelled out. */
function promValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

export async function serveDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  if (options === null || typeof options !== 'object' || typeof options.source?.range !== 'function') {
    throw new DashboardConfigError('FM_DASHBOARD_OPTION', 'serveDashboard: options.source must be a QuerySource (ringSource(ring))');
  }
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  if (!loopback && (typeof options.token !== 'string' || options.token.length < 16)) {
    throw new DashboardConfigError(
      'FM_DASHBOARD_TOKEN_REQUIRED',
      `serving the dashboard on ${host} (not a loopback address) requires a token of at least 16 characters: serveDashboard({ host, token })`,
    );
  }
  const source = options.source;
  const pinned = (options.charts ?? []).map((c, i) => {
    if (c === null || typeof c !== 'object' || typeof c.title !== 'string' || typeof c.expr !== 'string' || c.expr.trim() === '') {
      throw new DashboardConfigError('FM_DASHBOARD_OPTION', `charts[${i}] must be { title: string, expr: string, unit?: string }`);
    }
    return { title: c.title, expr: c.expr, unit: typeof c.unit === 'string' ? c.unit : '' };
  });
  const maxFps = Math.min(60, Math.max(1, options.maxFps ?? 60));
  const resolutionMs = options.resolutionMs ?? 1000;
  const maxClients = options.maxClients ?? 32;
  const clock = options.clock ?? Date.now;
  const gate = new Gate(options.token, loopback);
  const assets = await loadAssets();
  const index = assets.get('/') as Asset;
  assets.set('/', { ...index, body: Buffer.from(index.body.toString('utf8').replaceAll('{{title}}', escapeHtml(options.title ?? 'dashboard'))) });
  const sessions = new Set<Session>();

  // ---- shared state pushed to every page ------------------------------------
  let metricsJson = '';
  let metrics: MetricInfo[] = [];
  const refreshMetrics = async () => {
    try {
      metrics = await source.metrics();
      const json = JSON.stringify(metrics);
      if (json !== metricsJson) {
        metricsJson = json;
        for (const s of sessions) s.send({ type: 'metrics', metrics });
      }
    } catch {}
  };
  const health = async () => {
    const items: unknown[] = [];
    for (const m of metrics) {
      if (m.meter !== SELF_METER) continue;
      try {
        const samples = await source.instant(selector(m.name), clock());
        for (const s of samples) items.push({ name: m.name, kind: m.kind, unit: m.unit, description: m.description, labels: s.labels, value: s.value });
      } catch {}
    }
    return items;
  };
  const alertsMessage = () =>
    options.alerts === undefined
      ? { type: 'alerts', alerts: [], notifications: [], errors: {} }
      : { type: 'alerts', alerts: options.alerts.alerts, notifications: options.alerts.notifications.slice(-5), errors: options.alerts.ruleErrors };
  const unsubscribe = options.alerts?.onChange(() => {
    const message = alertsMessage();
    for (const s of sessions) s.send(message);
  });
  let healthBusy = false;
  let ticks = 0;
  const periodic = setInterval(async () => {
    if (sessions.size === 0 || healthBusy) return;
    healthBusy = true;
    try {
      // The metric list (with series, for the picker) every 5 s; health every second.
      if (ticks++ % 5 === 0) await refreshMetrics();
      const items = await health();
      for (const s of sessions) s.send({ type: 'health', items });
    } finally {
      healthBusy = false;
    }
  }, 1000);
  periodic.unref();

  // ---- HTTP -------------------------------------------------------------------
  const api = async (url: URL, res: ServerResponse) => {
    const now = clock();
    switch (url.pathname) {
      case '/api/health':
        return sendJson(res, 200, { status: 'ok', clients: sessions.size });
      case '/api/metrics':
        return sendJson(res, 200, { status: 'success', data: await source.metrics() });
      case '/api/alerts': {
        const a = options.alerts;
        return sendJson(res, 200, {
          status: 'success',
          data:
            a === undefined
              ? { alerts: [], rules: [], notifications: [] }
              : { alerts: a.alerts, rules: a.rules, notifications: a.notifications, errors: a.ruleErrors },
        });
      }
      case '/api/query': {
        const expr = url.searchParams.get('query') ?? url.searchParams.get('expr') ?? '';
        const time = url.searchParams.has('time') ? Number(url.searchParams.get('time')) * 1000 : now;
        if (expr === '' || !Number.isFinite(time))
          return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: 'query (and a numeric time in seconds) required' });
        try {
          const result = await source.instant(expr, time);
          return sendJson(res, 200, {
            status: 'success',
            data: { resultType: 'vector', result: result.map(s => ({ metric: s.labels, value: [time / 1000, promValue(s.value)] })) },
          });
        } catch (err) {
          return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: (err as Error)?.message ?? String(err) });
        }
      }
      case '/api/query_range': {
        const expr = url.searchParams.get('query') ?? url.searchParams.get('expr') ?? '';
        const end = url.searchParams.has('end') ? Number(url.searchParams.get('end')) * 1000 : now;
        const start = url.searchParams.has('start') ? Number(url.searchParams.get('start')) * 1000 : end - 300_000;
        const step = url.searchParams.has('step') ? Number(url.searchParams.get('step')) * 1000 : resolutionMs;
        if (expr === '' || !(end >= start) || !(step > 0) || (end - start) / step > 11_000) {
          return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: 'query, start <= end and a step giving at most 11,000 points required' });
        }
        try {
          const result = await source.range(expr, start, end, step);
          return sendJson(res, 200, {
            status: 'success',
            data: {
              resultType: 'matrix',
              result: result.map(s => ({ metric: s.labels, values: s.timestamps.map((t, i) => [t / 1000, promValue(s.values[i])]) })),
            },
          });
        } catch (err) {
          return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: (err as Error)?.message ?? String(err) });
        }
      }
      default:
        return sendJson(res, 404, { status: 'error', error: `no API ${url.pathname}` });
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const denied = gate.check(req, url);
    if (denied !== undefined) {
      req.resume();
      res.writeHead(denied.status, {
        ...SECURITY_HEADERS,
        'content-type': 'text/plain; charset=utf-8',
        ...(denied.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
      });
      res.end(`${denied.reason}\n`);
      return;
    }
    if (options.receiver?.handle(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      api(url, res).catch(err => sendJson(res, 500, { status: 'error', error: (err as Error)?.message ?? String(err) }));
      return;
    }
    const asset = assets.get(url.pathname === '/index.html' ? '/' : url.pathname);
    if (asset === undefined) {
      res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': asset.body.byteLength });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };

  const server: Server = createServer(onRequest);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      socket.destroy();
      return;
    }
    const denied =
      url.pathname !== '/ws'
        ? { status: 404, reason: 'not found' }
        : (gate.check(req, url) ??
          (!gate.checkOrigin(req)
            ? { status: 403, reason: 'cross-origin WebSocket refused' }
            : sessions.size >= maxClients
              ? { status: 503, reason: `${maxClients} pages connected already` }
              : undefined));
    if (denied !== undefined) {
      socket.end(`HTTP/1.1 ${denied.status} ${denied.reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, ws => {
      const session = new Session(ws, source, maxFps, resolutionMs, clock);
      sessions.add(session);
      ws.on('close', () => sessions.delete(session));
      session.send({ type: 'hello', title: options.title ?? 'dashboard', maxFps, resolutionMs, selfMeter: SELF_METER, time: clock(), charts: pinned });
      void (async () => {
        await refreshMetrics();
        session.send({ type: 'metrics', metrics });
        session.send(alertsMessage());
        session.send({ type: 'health', items: await health() });
      })();
    });
  });

  server.listen(options.port ?? DEFAULT_UI_PORT, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('dashboard server has no address');
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}/${options.token === undefined ? '' : `?token=${encodeURIComponent(options.token)}`}`;
  const log = options.log === undefined ? console.log : options.log;
  if (log) log(startLine(`http://${shownHost}:${address.port}/`, loopback, options.token !== undefined));
  let closed: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    host,
    get clients() {
      return sessions.size;
    },
    close() {
      closed ??= (async () => {
        clearInterval(periodic);
        unsubscribe?.();
        for (const s of sessions) s.close();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>(resolve => server.close(() => resolve()));
      })();
      return closed;
    },
  };
}

/** What a dashboard says when it starts: where it is, and what it takes to get in. */
export function startLine(base: string, loopback: boolean, token: boolean): string {
  if (!loopback)
    return `fastmeter dashboard: ${base} on a non-loopback address: every request needs the token (Authorization: Bearer <token> or ?token=<token>)`;
  return `fastmeter dashboard: ${base}${token ? ' (loopback; the token is required: Authorization: Bearer <token> or ?token=<token>)' : ' (loopback only)'}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}
