// FASTMETER_PROMETHEUS_FAST / fastmeter.prometheus_fast: @fastmeter/node builds
// @fastmeter/exporters' FastPrometheusExporter instead of PrometheusExporter when
// the application installed it (loaded by package name from the application's
// directory), serving the same bytes; without the package it says so and serves
// with the standard exporter.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@fastmeter/node';
import { PACKAGE_DIR, cleanEnv, ensureBuilt } from './helpers.js';

const EXPORTERS = fileURLToPath(new URL('../../exporters', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'fastmeter-node-fast-'));
const withPackage = join(root, 'with');
const withoutPackage = join(root, 'without');

/** The application: its own HTTP server serves running().prometheus, then it prints what it served. */
const APP_SCRIPT = `
const http = require('node:http');
const { start } = require('@fastmeter/node');
const node = start({
  env: {
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_SERVICE_NAME: 'app',
    FASTMETER_PROMETHEUS_SERVER: 'false',
    FASTMETER_RUNTIME_METRICS: 'false',
    FASTMETER_PROMETHEUS_FAST: process.argv[2],
  },
  register: false,
  exitHooks: false,
});
const meter = node.provider.getMeter('shop', '1.2.0');
meter.createCounter('jobs', { description: 'jobs done' }).add(7, { queue: 'a "quoted" one' });
const latency = meter.createHistogram('latency', { unit: 's' });
latency.record(0.3, { route: '/x' });
latency.record(2, { route: '/x' });
meter.createObservableGauge('temperature').addCallback(r => r.observe(21.5, { room: 'x' }));
const server = http.createServer((req, res) => node.prometheus.getMetricsRequestHandler(req, res));
server.listen(0, '127.0.0.1', async () => {
  const url = 'http://127.0.0.1:' + server.address().port + '/metrics';
  const text = await (await fetch(url)).text();
  const om = await fetch(url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
  const out = { reader: node.prometheus.constructor.name, text, openMetrics: om.headers.get('content-type') };
  server.close();
  await node.shutdown();
  console.log('RESULT ' + JSON.stringify(out));
});
`;

function app(dir: string, exporters: boolean): void {
  mkdirSync(join(dir, 'node_modules/@fastmeter'), { recursive: true });
  symlinkSync(PACKAGE_DIR, join(dir, 'node_modules/@fastmeter/node'), 'dir');
  if (exporters) symlinkSync(EXPORTERS, join(dir, 'node_modules/@fastmeter/exporters'), 'dir');
  writeFileSync(join(dir, 'app.cjs'), APP_SCRIPT);
}

beforeAll(() => {
  app(withPackage, true);
  app(withoutPackage, false);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(dir: string, fast: 'true' | 'false'): { result: { reader: string; text: string; openMetrics: string | null }; stderr: string } {
  ensureBuilt();
  const r = spawnSync(process.execPath, ['app.cjs', fast], { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
  const line = r.stdout.split('\n').find(l => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no result (exit ${r.status})\n${r.stdout}\n${r.stderr}`);
  return { result: JSON.parse(line.slice('RESULT '.length)), stderr: r.stderr };
}

describe('the fast Prometheus exporter through @fastmeter/node', () => {
  it('FASTMETER_PROMETHEUS_FAST and fastmeter.prometheus_fast configure it (default: the standard exporter)', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const prometheus = (env: Record<string, string>) => loadConfig({ env: { OTEL_METRICS_EXPORTER: 'prometheus', ...env } }).config.readers[0];
    expect(prometheus({})).toMatchObject({ kind: 'prometheus', fast: false });
    expect(prometheus({ FASTMETER_PROMETHEUS_FAST: 'true' })).toMatchObject({ kind: 'prometheus', fast: true });
    const file = join(root, 'otel.yaml');
    writeFileSync(
      file,
      'file_format: "1.0"\nmeter_provider:\n  readers:\n    - pull: { exporter: { prometheus/development: {} } }\nfastmeter:\n  prometheus_fast: true\n',
    );
    const { config, problems } = loadConfig({ env: { OTEL_CONFIG_FILE: file } });
    expect(problems).toEqual([]);
    expect(config.readers).toMatchObject([{ kind: 'prometheus', fast: true, server: true }]);
  });

  it('serves the bytes PrometheusExporter serves, and OpenMetrics to scrapers that ask', () => {
    const fast = run(withPackage, 'true');
    const standard = run(withPackage, 'false');
    expect(standard.result.reader).toBe('PrometheusExporter');
    expect(fast.result.reader).toBe('FastPrometheusExporter');
    expect(fast.result.text).toContain('jobs');
    expect(fast.result.text).toBe(standard.result.text);
    expect(fast.result.openMetrics).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(fast.stderr).not.toMatch(/error/i);
  });

  it('without @fastmeter/exporters installed: an error message, and the standard exporter serves', () => {
    const { result, stderr } = run(withoutPackage, 'true');
    expect(stderr).toMatch(/the fast Prometheus exporter needs @fastmeter\/exporters, which is not installed: run `npm install @fastmeter\/exporters`/);
    expect(result.reader).toBe('PrometheusExporter');
    expect(result.text).toContain('jobs');
  });
});
