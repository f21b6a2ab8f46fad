// The demo survives a killed OTLP backend (@fastmeter/processors' circuit
// breaker, on by default in the demo through FASTMETER_PROCESSORS): the backend
// process is killed with SIGKILL while the service serves requests; the
// service keeps answering, its breaker opens (visible on /metrics), it
// recovers when the backend comes back on the same port, and it stops
// promptly on SIGTERM while the backend is down again. Every process is
// stopped by PID; waits are bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));
const BACKEND = fileURLToPath(new URL('./fixtures/otlp-backend.mjs', import.meta.url));
const children: ChildProcess[] = [];

/** Spawns `args` with node and collects its stdout lines. */
function start(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; lines: string[]; stderr: () => string } {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let err = '';
  let partial = '';
  child.stdout?.on('data', chunk => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', chunk => (err += chunk));
  return { child, lines, stderr: () => err };
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

async function backend(port: number) {
  const b = start([BACKEND, String(port)]);
  const line = await until(() => b.lines.find(l => l.startsWith('listening ') || l.startsWith('error ')), 'the backend to listen', 10_000);
  if (line.startsWith('error ')) throw new Error(`backend on port ${port}: ${line}`);
  return { ...b, port: Number(line.split(' ')[1]), accepted: () => b.lines.filter(l => l.startsWith('accepted ')).length };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = await exited;
  return code as number | null;
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('examples/http-service with a killed OTLP backend', () => {
  it('keeps serving, opens its breaker, recovers when the backend is back, and stops promptly while it is down', async () => {
    let collector = await backend(0);
    const port = collector.port;
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('FASTMETER_')) env[k] = v;
    Object.assign(env, {
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${port}/v1/metrics`,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '400',
      FASTMETER_SELF_METRICS: 'true',
    });
    const service = start([MAIN, '--port=0'], env);
    const base = (await until(
      () => service.lines.map(l => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(l)?.[1]).find(Boolean),
      'the service to listen',
      20_000,
    )) as string;
    const breakerState = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const m = /^fastmeter_breaker_state\w*\{[^}]*exporter="otlp"[^}]*\} (\d)/m.exec(text);
      return m === null ? undefined : Number(m[1]);
    };
    const traffic = async (ms: number) => {
      const latencies: number[] = [];
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const t = performance.now();
        const res = await fetch(`${base}/api/users/7`);
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        latencies.push(performance.now() - t);
      }
      return latencies.sort((a, b) => a - b);
    };

    await until(() => collector.accepted() >= 2, 'two exports accepted by the backend');
    expect(await breakerState()).toBe(0);

    // The backend dies. The service keeps answering while its exports fail, then the breaker opens.
    await kill(collector.child, 'SIGKILL');
    const during = await traffic(2000);
    expect(during.length).toBeGreaterThan(10);
    await until(async () => (await breakerState()) === 2, 'the breaker to open');
    const open = await traffic(1000);
    expect(open[Math.floor(open.length * 0.99)]).toBeLessThan(1000);

    // The backend comes back on the same port: the next probe closes the breaker and exports resume.
    collector = await until(() => backend(port).catch(() => undefined), `a backend on port ${port} again`, 10_000);
    await until(async () => (await breakerState()) === 0 && collector.accepted() >= 1, 'recovery: breaker closed and an export accepted', 40_000);
    const names = collector.lines.filter(l => l.startsWith('accepted ')).join(',');
    expect(names).toContain('http.server.request.duration');

    // Down again: SIGTERM stops the service promptly, with its final flush bounded.
    await kill(collector.child, 'SIGKILL');
    await until(async () => (await breakerState()) === 2, 'the breaker to open again', 40_000);
    const stopping = performance.now();
    const code = await kill(service.child, 'SIGTERM');
    expect(performance.now() - stopping).toBeLessThan(5000);
    expect(code).toBe(0);
    expect(service.stderr()).not.toMatch(/unhandled|Unhandled/);
  }, 150_000);
});
