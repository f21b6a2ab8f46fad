// The README's demo command runs this service with its load generator. This
// test runs the same entry point for a few seconds on a free port and checks
// that the Prometheus endpoint serves what the service records.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));

function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${buffered}`)), timeoutMs);
    child.stdout?.on('data', chunk => {
      buffered += chunk;
      const m = buffered.match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

function value(text: string, re: RegExp): number {
  let sum = 0;
  for (const m of text.matchAll(re)) sum += Number(m[1]);
  return sum;
}

describe('examples/http-service --demo', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves /metrics with what the load generator caused, then stops cleanly', async () => {
    child = spawn(process.execPath, [MAIN, '--demo', '--port=0', '--duration=4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [, url] = await waitForLine(child, /Prometheus metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/, 15_000);
    await new Promise(r => setTimeout(r, 1500));
    const first = await (await fetch(url)).text();
    await new Promise(r => setTimeout(r, 1000));
    const second = await (await fetch(url)).text();

    const requests = /^http_server_request_duration_count\{[^}]*\} (\d+)/gm;
    expect(value(first, requests)).toBeGreaterThan(10);
    expect(value(second, requests)).toBeGreaterThan(value(first, requests));
    expect(second).toMatch(/^# TYPE app_orders_created_total counter$/m);
    expect(second).toMatch(/^http_server_request_duration_bucket\{.*http_route="\/api\/users\/:id".*le="\+Inf"\} \d+$/m);
    expect(second).toMatch(/^target_info\{(?=[^}]*service_name="http-service")(?=[^}]*service_version="1\.0\.0")[^}]*\} 1$/m);
    // The size histogram keeps method and route only.
    expect(second).not.toMatch(/^http_server_response_body_size_count\{[^}]*status_code/m);
    // @fastmeter/node's runtime metrics, on by default.
    expect(second).toMatch(/^nodejs_eventloop_utilization\{[^}]*otel_scope_name="@fastmeter\/node"[^}]*\} [\d.e-]+$/m);
    expect(value(second, /^app_orders_created_total\{[^}]*\} (\d+)/gm)).toBeGreaterThan(0);

    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
