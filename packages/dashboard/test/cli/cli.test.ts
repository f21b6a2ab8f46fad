// The `fastmeter` command: help on every command, errors and exit codes, and
// `query` / `alerts` against a running dashboard.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { AlertEngine, DashboardConfigError, type RunningDashboard, loadConfig, serveDashboard } from '../../src/index.js';
import { FakeSource, XSS } from '../fake-source.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    t => {
      out += t;
    },
    t => {
      err += t;
    },
  );
  return { code, out, err };
}

describe('fastmeter CLI', () => {
  it('prints help for the program and every command', async () => {
    const top = await run('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/fastmeter dashboard \[options\]/);
    for (const command of ['dashboard', 'query', 'alerts']) {
      const r = await run(command, '--help');
      expect(r.code, command).toBe(0);
      expect(r.out, command).toMatch(new RegExp(`^Usage: fastmeter ${command}`));
    }
    expect((await run('dashboard', '--help')).out).toMatch(/--ui-port/);
    expect((await run()).code).toBe(2);
    expect((await run('--version')).out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('refuses unknown commands and options with exit code 2', async () => {
    const r = await run('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "frobnicate"/);
    const o = await run('query', 'up', '--bogus');
    expect(o.code).toBe(2);
    expect(o.err).toMatch(/--bogus/);
    expect((await run('query')).code).toBe(2);
  });

  it('says when no dashboard is running', async () => {
    const r = await run('query', 'up', '--url', 'http://127.0.0.1:1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1.*is `fastmeter dashboard` running/);
  });

  describe('against a running dashboard', () => {
    let dashboard: RunningDashboard;
    const source = new FakeSource();
    const clock = { t: 1_700_000_000_000, now: () => clock.t };
    beforeAll(async () => {
      const alerts = new AlertEngine({ source, clock, rules: [{ name: 'BreakerOpen', expr: 'fastmeter.breaker.state >= 2' }] });
      await alerts.evaluate();
      dashboard = await serveDashboard({ source, alerts, port: 0, log: null, token: 'a-token-of-sixteen-chars' });
    });
    afterAll(() => dashboard.close());

    it('prints an instant query as a table, with the token', async () => {
      const r = await run(
        'query',
        'rate(http.server.requests[1m])',
        '--url',
        `http://127.0.0.1:${dashboard.port}`,
        '--token',
        'a-token-of-sixteen-chars',
        '--time',
        '1700000003',
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const lines = r.out.trim().split('\n');
      expect(lines).toHaveLength(2);
      const want = await source.instant('rate(http.server.requests[1m])', 1_700_000_003_000);
      expect(lines[0]).toMatch(new RegExp(`^\\{route="/a"\\}\\s+${want[0].value}$`));
      expect(lines[1]).toContain(JSON.stringify(XSS));
    });

    it('prints a range query and JSON', async () => {
      const r = await run(
        'query',
        'fastmeter.breaker.state',
        '--url',
        `http://127.0.0.1:${dashboard.port}`,
        '--token',
        'a-token-of-sixteen-chars',
        '--range',
        '1m',
        '--step',
        '30s',
      );
      expect(r.code).toBe(0);
      expect(r.out.split('\n')[0]).toBe('{exporter="otlp"}');
      expect(r.out.match(/Z {2}2$/gm)?.length).toBeGreaterThanOrEqual(2);
      const j = await run('query', 'fastmeter.breaker.state', '--json', '--url', `http://127.0.0.1:${dashboard.port}`, '--token', 'a-token-of-sixteen-chars');
      expect(JSON.parse(j.out).data.result[0].value[1]).toBe('2');
    });

    it('reports a refused token and a failed query', async () => {
      const r = await run('query', 'x', '--url', `http://127.0.0.1:${dashboard.port}`, '--token', 'wrong');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/a token is required/);
      const q = await run('query', 'nope', '--url', `http://127.0.0.1:${dashboard.port}`, '--token', 'a-token-of-sixteen-chars');
      expect(q.code).toBe(1);
      expect(q.err).toMatch(/unknown query nope/);
    });

    it('lists alerts', async () => {
      const r = await run('alerts', '--url', `http://127.0.0.1:${dashboard.port}`, '--token', 'a-token-of-sixteen-chars');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/1 rule\(s\), 1 active alert\(s\)/);
      expect(r.out).toMatch(/FIRING\s+\{exporter="otlp", alertname="BreakerOpen"\}\s+value 2/);
    });
  });

  it('reads a YAML config file and reports its mistakes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fastmeter-cli-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'receiver: { port: 0 }\ndashboard: { port: 0, title: demo }\nalerts:\n  groupWait: 10s\n  rules:\n    - name: Slow\n      expr: p99 > 0.5\n      for: 1m\n',
    );
    const config = await loadConfig(good);
    expect(config.alerts?.rules?.[0]).toEqual({ name: 'Slow', expr: 'p99 > 0.5', for: '1m' });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'recever: {}\n');
    await expect(loadConfig(bad)).rejects.toThrow(DashboardConfigError);
    await expect(loadConfig(bad)).rejects.toThrow(/unknown section "recever"/);
    writeFileSync(bad, 'alerts: [1, 2\n');
    await expect(loadConfig(bad)).rejects.toThrow(/not valid YAML/);
    const r = await run('dashboard', '--config', join(dir, 'missing.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot read .*missing\.yaml/);
  });
});
