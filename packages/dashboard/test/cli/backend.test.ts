// `fastmeter dashboard` as a user runs it (the built bin, its own process): a
// YAML config with an alert rule and a webhook, a separate process pushing OTLP
// with the real OTLPMetricExporter, `fastmeter query` printing the exact values,
// the webhook receiving the alert, and a clean stop on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNode } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/fastmeter.cjs');
const CHILD = join(import.meta.dirname, '../fixtures/otlp-child.mjs');

function waitFor(buffer: () => string, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + ms;
    const poll = () => {
      const m = buffer().match(re);
      if (m) return resolve(m);
      if (Date.now() > end) return reject(new Error(`no ${re} within ${ms} ms; output:\n${buffer()}`));
      setTimeout(poll, 50);
    };
    poll();
  });
}

describe('fastmeter dashboard (the bin)', () => {
  let cli: ChildProcess;
  let out = '';
  let err = '';
  let hooks: any[] = [];
  let hookServer: Server;
  let receiverUrl: string;
  let uiUrl: string;

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.end();
      });
    }).listen(0, '127.0.0.1');
    await once(hookServer, 'listening');
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as { port: number }).port}/hook`;
    const dir = mkdtempSync(join(tmpdir(), 'fastmeter-cli-'));
    const config = join(dir, 'fastmeter.yaml');
    writeFileSync(
      config,
      [
        'receiver: { port: 0 }',
        'dashboard: { port: 0, title: cli test }',
        'ring: { intervalMillis: 200 }',
        'alerts:',
        '  evaluationInterval: 200ms',
        '  groupWait: 0s',
        `  webhooks: [${hookUrl}]`,
        '  rules:',
        '    - name: ManyRequests',
        '      expr: sum(http.server.requests) > 1000',
        '      labels: { severity: page }',
        '',
      ].join('\n'),
    );
    hooks = [];
    cli = spawn(process.execPath, [BIN, 'dashboard', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    cli.stdout?.on('data', c => (out += c));
    cli.stderr?.on('data', c => (err += c));
    receiverUrl = (await waitFor(() => out, /OTLP\/HTTP receiver: (http:\/\/127\.0\.0\.1:\d+\/v1\/metrics)/, 20_000))[1];
    uiUrl = (await waitFor(() => out, /fastmeter dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/, 20_000))[1];
  }, 60_000);

  afterAll(async () => {
    if (cli && cli.exitCode === null) cli.kill('SIGKILL');
    await new Promise(resolve => hookServer?.close(resolve));
  });

  it('receives OTLP from another process; `fastmeter query` prints the exact values', async () => {
    const child = await runNode([CHILD, receiverUrl, 'proto', 'gzip'], { cwd: join(import.meta.dirname, '..') });
    expect(child.code).toBe(0);
    const expected = JSON.parse(child.stdout);
    const want = expected.scopeMetrics[0].metrics.find((m: any) => m.descriptor.name === 'http.server.requests').dataPoints;
    const q = await runNode([BIN, 'query', 'http.server.requests', '--url', uiUrl, '--json']);
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    const result = JSON.parse(q.stdout).data.result;
    expect(result).toHaveLength(want.length);
    for (const p of want) {
      const row = result.find((r: any) => Object.entries(p.attributes).every(([k, v]) => r.metric[k] === (Array.isArray(v) ? JSON.stringify(v) : String(v))));
      expect(row, JSON.stringify(p.attributes)).toBeDefined();
      expect(Number(row.value[1])).toBe(p.value);
      expect(row.metric['service.name']).toBe('child-proto');
    }
    const table = await runNode([BIN, 'query', 'sum(http.server.requests)', '--url', uiUrl]);
    const total = want.reduce((a: number, p: any) => a + p.value, 0);
    expect(table.stdout.trim()).toBe(`{}  ${total}`);
  });

  it('fires the alert rule from the config file and posts it to the webhook', async () => {
    await waitFor(() => JSON.stringify(hooks), /ManyRequests/, 15_000);
    expect(hooks[0]).toMatchObject({ status: 'firing', groupLabels: { alertname: 'ManyRequests' }, alerts: [{ labels: { severity: 'page' } }] });
    const a = await runNode([BIN, 'alerts', '--url', uiUrl]);
    expect(a.stdout).toMatch(/FIRING\s+\{severity="page", alertname="ManyRequests"\}/);
  });

  it('stops cleanly on SIGTERM', async () => {
    cli.kill('SIGTERM');
    const [code] = await once(cli, 'exit');
    expect(code).toBe(0);
    expect(err).toMatch(/stopping/);
  });
});
