// The demo's OTLP export follows the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT
// (a base URL, /v1/metrics appended) and OTEL_EXPORTER_OTLP_METRICS_PROTOCOL
// (http/json here; http/protobuf, the default, is checked in test/e2e/example-otlp.test.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));

describe('examples/http-service OTLP settings', () => {
  let child: ChildProcess | undefined;
  const server = createServer();
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });

  it('posts http/json to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics when OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/json', async () => {
    const requests: { url: string; type: string; body: string }[] = [];
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        requests.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('FASTMETER_')) env[k] = v;
    Object.assign(env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/base`,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    });
    child = spawn(process.execPath, [MAIN, '--port=0', '--duration=3'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', c => (out += c));
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(out).toContain(`OTLP push:          every 0.5 s to http://127.0.0.1:${port}/base/v1/metrics (http/json)`);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) {
      expect(r.url).toBe('/base/v1/metrics');
      expect(r.type).toMatch(/^application\/json/);
    }
    const last = JSON.parse(requests[requests.length - 1].body);
    const resource = last.resourceMetrics[0].resource.attributes;
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'http-service' } });
  }, 30_000);
});
