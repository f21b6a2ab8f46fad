// FastPrometheusExporter's HTTP behaviour next to the standard
// PrometheusExporter's, each on its own loopback server: same status codes,
// same Content-Type, same body for the classic text; OpenMetrics only when the
// scraper asks for it; the constructor options and defaults of the line.
import { once } from 'node:events';
import { type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { FastPrometheusExporter, detectLine } from '../src/index.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw GET (the path is sent as given, unlike fetch). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, timeout: 5000 }, res => {
      const chunks: Buffer[] = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  diag.disable();
});

/** Both exporters on one provider, each with its own server on a free loopback port. */
async function servers(options: { endpoint?: string } = {}) {
  const [fastPort, standardPort] = [await freePort(), await freePort()];
  const fast = new FastPrometheusExporter({ ...options, host: '127.0.0.1', port: fastPort });
  const standard = new PrometheusExporter({ ...options, host: '127.0.0.1', port: standardPort });
  await Promise.all([fast.startServer(), standard.startServer()]);
  const provider = new FastMeterProvider({ readers: [fast, standard] });
  cleanups.push(() => provider.shutdown());
  const meter = provider.getMeter('http-test', '1.0.0');
  meter.createCounter('requests', { description: 'handled' }).add(3, { route: '/a' });
  meter.createHistogram('latency', { unit: 'ms' }).record(12, { route: '/a' });
  return { fast, standard, fastPort, standardPort, provider };
}

describe('HTTP, next to the standard PrometheusExporter', () => {
  it('answers the endpoint with the same status, Content-Type and body', async () => {
    const { fastPort, standardPort } = await servers();
    const [ours, theirs] = await Promise.all([get(fastPort, '/metrics'), get(standardPort, '/metrics')]);
    expect(ours.status).toBe(200);
    expect(ours.headers['content-type']).toBe(theirs.headers['content-type']);
    expect(ours.headers['content-length']).toBe(String(Buffer.byteLength(ours.body)));
    // Same data; the timestamps of the two collections may differ by a millisecond, the bytes otherwise not.
    expect(ours.body.replace(/\d{13}/g, 'T')).toBe(theirs.body.replace(/\d{13}/g, 'T'));
    expect(ours.body).toContain('requests_total{route="/a",otel_scope_name="http-test",otel_scope_version="1.0.0"} 3');
  });

  it('404 elsewhere, 400 for a URL it cannot parse, the query string ignored — as upstream', async () => {
    const { fastPort, standardPort } = await servers();
    for (const [path, status] of [
      ['/other', 404],
      ['/metrics/', 404],
      ['//:', 400],
      ['/metrics?x=1', 200],
    ] as const) {
      const [ours, theirs] = await Promise.all([get(fastPort, path), get(standardPort, path)]);
      expect([path, ours.status]).toEqual([path, status]);
      expect(ours.status).toBe(theirs.status);
      if (status === 400) expect(ours.body).toBe(theirs.body);
    }
  });

  it('adds the leading slash to an endpoint without one', async () => {
    const { fastPort } = await servers({ endpoint: 'custom' });
    expect((await get(fastPort, '/custom')).status).toBe(200);
    expect((await get(fastPort, '/metrics')).status).toBe(404);
  });

  it('serves OpenMetrics to a scraper that prefers it (Prometheus’ Accept header), the classic text otherwise', async () => {
    const { fastPort } = await servers();
    const om = await get(fastPort, '/metrics', { accept: PROMETHEUS_ACCEPT });
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    expect(om.body).toContain('# TYPE requests counter\nrequests_total{route="/a",otel_scope_name="http-test",otel_scope_version="1.0.0"} 3\n');
    for (const accept of ['*/*', 'text/plain;version=0.0.4', 'application/openmetrics-text;q=0.1,text/plain;q=0.5', '']) {
      const classic = await get(fastPort, '/metrics', accept ? { accept } : {});
      expect([accept, classic.headers['content-type']]).toEqual([accept, 'text/plain']);
    }
  });

  it('with openMetrics: false, always the classic text', async () => {
    const port = await freePort();
    const exporter = new FastPrometheusExporter({ host: '127.0.0.1', port, openMetrics: false });
    await exporter.startServer();
    const provider = new FastMeterProvider({ readers: [exporter] });
    cleanups.push(() => provider.shutdown());
    expect((await get(port, '/metrics', { accept: PROMETHEUS_ACCEPT })).headers['content-type']).toBe('text/plain');
  });

  it('getMetricsRequestHandler serves a scrape from a server of your own', async () => {
    const exporter = new FastPrometheusExporter({ preventServerStart: true });
    const provider = new FastMeterProvider({ readers: [exporter] });
    cleanups.push(() => provider.shutdown());
    provider.getMeter('m').createCounter('c').add(1);
    const server: Server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise(r => server.close(r)));
    const answer = await get((server.address() as AddressInfo).port, '/anything');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('c_total{otel_scope_name="m"} 1');
  });

  it('answers a failed collection with `# failed to export metrics` and reports collection errors to diag', async () => {
    const errors: string[] = [];
    const logger: DiagLogger = { error: m => errors.push(m), warn: () => {}, info: () => {}, debug: () => {}, verbose: () => {} };
    diag.setLogger(logger, { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true });
    const { fast, fastPort } = await servers();
    const throwing = { collect: async () => Promise.reject(new Error('producer down')) };
    (fast as unknown as { _metricProducers: unknown[] })._metricProducers.push(throwing);
    const answer = await get(fastPort, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('# failed to export metrics: Error: producer down');
  });
});

describe('lifecycle and options', () => {
  it('has the installed line’s defaults', () => {
    expect(FastPrometheusExporter.DEFAULT_OPTIONS).toEqual(PrometheusExporter.DEFAULT_OPTIONS);
    expect(new FastPrometheusExporter({ preventServerStart: true }).line).toBe(detectLine());
  });

  it('line 2 reads OTEL_EXPORTER_PROMETHEUS_HOST/PORT and listens on all interfaces by default; line 3 uses localhost and no environment', () => {
    const saved = { host: process.env.OTEL_EXPORTER_PROMETHEUS_HOST, port: process.env.OTEL_EXPORTER_PROMETHEUS_PORT };
    process.env.OTEL_EXPORTER_PROMETHEUS_HOST = '127.0.0.9';
    process.env.OTEL_EXPORTER_PROMETHEUS_PORT = '19999';
    try {
      const target = (e: FastPrometheusExporter) => {
        const p = e as unknown as { _host: string | undefined; _port: number };
        return [p._host, p._port];
      };
      expect(target(new FastPrometheusExporter({ preventServerStart: true, line: 2 }))).toEqual(['127.0.0.9', 19999]);
      expect(target(new FastPrometheusExporter({ preventServerStart: true, line: 3 }))).toEqual(['localhost', 9464]);
      expect(target(new FastPrometheusExporter({ preventServerStart: true, line: 3, host: '::1', port: 1234 }))).toEqual(['::1', 1234]);
      delete process.env.OTEL_EXPORTER_PROMETHEUS_HOST;
      delete process.env.OTEL_EXPORTER_PROMETHEUS_PORT;
      expect(target(new FastPrometheusExporter({ preventServerStart: true, line: 2 }))).toEqual([undefined, 9464]);
    } finally {
      for (const [k, v] of [
        ['OTEL_EXPORTER_PROMETHEUS_HOST', saved.host],
        ['OTEL_EXPORTER_PROMETHEUS_PORT', saved.port],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('calls back after the server started, or (preventServerStart) on a later microtask', async () => {
    const port = await freePort();
    let started: unknown = 'pending';
    const exporter = new FastPrometheusExporter({ host: '127.0.0.1', port }, err => {
      started = err ?? 'ok';
    });
    cleanups.push(() => exporter.stopServer());
    await exporter.startServer();
    expect(exporter.startServer()).toBe(exporter.startServer());
    expect(started).toBe('ok');
    let called = false;
    new FastPrometheusExporter({ preventServerStart: true }, () => {
      called = true;
    });
    expect(called).toBe(false);
    await Promise.resolve();
    expect(called).toBe(true);
  });

  it('reports a port in use to the callback, and stopServer resolves whether or not it runs', async () => {
    const port = await freePort();
    const first = new FastPrometheusExporter({ host: '127.0.0.1', port });
    await first.startServer();
    cleanups.push(() => first.stopServer());
    const error = await new Promise(resolve => new FastPrometheusExporter({ host: '127.0.0.1', port }, resolve));
    expect((error as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    await new FastPrometheusExporter({ preventServerStart: true }).stopServer();
  });

  it('shutdown stops the server; a collection afterwards rejects, as MetricReader does', async () => {
    const port = await freePort();
    const exporter = new FastPrometheusExporter({ host: '127.0.0.1', port });
    await exporter.startServer();
    const provider = new FastMeterProvider({ readers: [exporter] });
    await provider.shutdown();
    await expect(get(port, '/metrics')).rejects.toThrow();
    await expect(exporter.collect()).rejects.toThrow('MetricReader is shutdown');
    await expect(exporter.scrape()).rejects.toThrow('MetricReader is shutdown');
  });

  it('cannot be bound twice; rejects bad fastmeter options with a typed error', () => {
    const exporter = new FastPrometheusExporter({ preventServerStart: true });
    new FastMeterProvider({ readers: [exporter] });
    expect(() => new FastMeterProvider({ readers: [exporter] })).toThrow('MetricReader can not be bound to a MeterProvider again.');
    expect(() => new FastPrometheusExporter({ preventServerStart: true, sliceBudgetMillis: 0 })).toThrow(/sliceBudgetMillis must be a positive number/);
    expect(() => new FastPrometheusExporter({ preventServerStart: true, line: 4 as never })).toThrow(/line must be 2, 3 or 'auto'/);
  });
});
