// Runs the example for real: a fleet of 4 node:cluster workers behind one HTTP port, the
// primary serving the combined Prometheus endpoint. Workers are retired and replaced during
// the load. Every series the load produced must be scraped, with the exact count the client
// saw, and nothing else: a missing series, an extra one or a wrong total fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CHILD_EXEC_ARGV, ensureBuilt } from '../../../packages/cluster/test/build.js';

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

/** Samples of one metric: "label values joined by space" → value. */
function samples(text: string, name: string, labels: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const attrs = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    out[labels.map(l => attrs[l]).join(' ')] = Number(m[2]);
  }
  return out;
}

describe('examples/cluster', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('scrapes every series of the fleet with exact totals, across retired and replaced workers', async () => {
    ensureBuilt('sdk', 'cluster');
    child = spawn(process.execPath, [MAIN, '--port=0', '--http-port=0', '--workers=4', '--requests=2000', '--recycle-every=500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      execArgv: CHILD_EXEC_ARGV,
    } as never);
    const [, url] = await waitForLine(child, /Prometheus metrics \(all workers \+ primary\): (http:\/\/127\.0\.0\.1:\d+\/metrics)/, 30_000);
    const [, tallyJson] = await waitForLine(child, /all 2000 requests done: (.*)/, 90_000);
    const tally = JSON.parse(tallyJson) as { requests: Record<string, number>; items: Record<string, number> };
    const text = await (await fetch(url)).text();

    const labels = ['http_request_method', 'http_route', 'http_response_status_code'];
    // Every request series the client saw, with its exact count, and no other.
    expect(Object.keys(tally.requests).sort()).toEqual([
      'GET /api/items 200',
      'GET /api/items/:id 200',
      'GET /api/items/:id 404',
      'GET unmatched 404',
      'POST /api/orders 201',
    ]);
    expect(samples(text, 'http_server_requests_total', labels)).toEqual(tally.requests);
    expect(samples(text, 'http_server_request_duration_count', labels)).toEqual(tally.requests);
    expect(samples(text, 'shop_items_sold_total', ['shop_category'])).toEqual(tally.items);
    expect(samples(text, 'http_server_active_requests', ['http_request_method'])).toEqual({ GET: 0, POST: 0 });
    // Buckets are there for every series, and +Inf equals the count.
    const inf = Object.fromEntries(
      Object.entries(samples(text, 'http_server_request_duration_bucket', [...labels, 'le']))
        .filter(([k]) => k.endsWith(' +Inf'))
        .map(([k, v]) => [k.slice(0, -5), v]),
    );
    expect(inf).toEqual(tally.requests);
    // The primary's own instruments, and the fleet's self-metrics.
    expect(text).toMatch(/^fleet_workers_retired_total(\{[^}]*\})? 3$/m);
    // The last replacement may still be starting: wait (bounded) until all 4 send.
    const deadline = Date.now() + 20_000;
    let again = text;
    while (!/^fastmeter_cluster_workers(\{[^}]*\})? 4$/m.test(again) && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 200));
      again = await (await fetch(url)).text();
    }
    expect(again).toMatch(/^fleet_workers(\{[^}]*\})? 4$/m);
    expect(again).toMatch(/^fastmeter_cluster_workers(\{[^}]*\})? 4$/m);
    expect(text).toMatch(/^fastmeter_cluster_workers_exited_total(\{[^}]*\})? 3$/m);
    expect(samples(text, 'fastmeter_cluster_dropped_total', ['reason'])).toEqual({
      queue_full: 0,
      instrument_limit: 0,
      unsupported: 0,
      series_limit: 0,
      refused: 0,
      malformed: 0,
    });
    expect(text).toMatch(/^target_info\{service_name="cluster-example",service_version="1.0.0"\} 1$/m);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 150_000);
});
