// What a new user meets first: `npm run demo` when the port is taken says what to do in one
// line, at once (before installing or building anything), and `GET /` of the running demo is a
// page that links what there is to see.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));
const RUN = fileURLToPath(new URL('../../../scripts/run.mjs', import.meta.url));

let taken: Server;
let port = 0;
const children: ChildProcess[] = [];

beforeAll(async () => {
  taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  port = (taken.address() as { port: number }).port;
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  taken.close();
});

/** Runs a command to its end (at most `timeoutMs`): exit code, output, and how long it took. */
async function runToEnd(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: '' } });
  children.push(child);
  let out = '';
  child.stdout.on('data', c => (out += c));
  child.stderr.on('data', c => (out += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code, out, ms: Date.now() - started };
}

function expectOneClearLine(out: string) {
  const lines = out.trim().split('\n');
  expect(lines, out).toHaveLength(1);
  expect(lines[0]).toContain(`${port}`);
  expect(lines[0]).toContain('--port=0');
  expect(out).not.toMatch(/^\s+at /m); // no stack
  expect(out).not.toContain('EADDRINUSE');
}

describe('the demo with its port taken', () => {
  it('npm run demo (scripts/run.mjs demo): one line saying what to do, before installing anything', async () => {
    const r = await runToEnd([RUN, 'demo', `--port=${port}`], 60_000);
    expect(r.code, r.out).not.toBe(0);
    expectOneClearLine(r.out);
    expect(r.out).toContain('npm run demo -- --port=0');
    expect(r.ms).toBeLessThan(10_000);
  }, 90_000);

  it('node src/main.mjs: one line saying what to do, no stack', async () => {
    const r = await runToEnd([MAIN, `--port=${port}`], 30_000);
    expect(r.code, r.out).not.toBe(0);
    expectOneClearLine(r.out);
  });
});

describe('GET / of the demo', () => {
  it('is a small page linking what there is to see', async () => {
    const child = spawn(process.execPath, [MAIN, '--port=0', '--duration=20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening within 15 s:\n${out}`)), 15_000);
      child.stdout!.on('data', chunk => {
        out += chunk;
        const m = out.match(/Start here:\s+(http:\/\/127\.0\.0\.1:\d+)\//); // printed where to start
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const links = [...html.matchAll(/href="([^"]+)"/g)].map(m => m[1]!);
    expect(links).toEqual(expect.arrayContaining(['/metrics', '/healthz', '/api/users/1']));
    // Every link it shows works.
    for (const link of links.filter(l => l.startsWith('/'))) expect((await fetch(`${base}${link}`)).status, link).toBe(200);
    child.kill('SIGTERM');
    await once(child, 'exit');
  });
});
