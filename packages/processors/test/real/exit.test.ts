// The exit delay of an unreachable collector (opentelemetry-js-contrib #3349:
// the shutdown hook waits for the OTLP exporter's retries): with the breaker,
// provider.shutdown() returns within shutdownTimeoutMillis (1 s here) whether
// the circuit is closed (the last export hangs in retries) or open (no
// network at all), and an open circuit leaves nothing that keeps the process
// alive. Application processes on the built packages, the real exporter.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(HERE, '../fixtures/exit.mjs');

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise(resolve => server.close(resolve));
  return port;
}

function run(args: string[]): Promise<{ out: Record<string, any>; exitMillis: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, ...args], { cwd: HERE, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let printedAt = 0;
    child.stdout.on('data', chunk => {
      stdout += chunk;
      if (printedAt === 0 && stdout.includes('\n')) printedAt = performance.now();
    });
    child.stderr.on('data', chunk => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', code => {
      clearTimeout(timer);
      try {
        resolve({ out: JSON.parse(stdout.trim().split('\n')[0]), exitMillis: performance.now() - printedAt, code });
      } catch {
        reject(new Error(`no result (exit ${code}): ${stdout}\n${stderr}`));
      }
    });
  });
}

describe('exit with an unreachable collector', () => {
  it('needs the built packages', () => {
    expect(existsSync(join(HERE, '../../dist/esm/index.js')), 'pnpm build').toBe(true);
  });

  it('closed circuit: the last export retries in the exporter, but shutdown() returns within its 1 s bound', async () => {
    const { out, code } = await run([`http://127.0.0.1:${await deadPort()}/v1/metrics`, 'closed', '0']);
    expect(out.stateBeforeShutdown).toBe(0);
    expect(out.shutdownMillis).toBeLessThan(1800);
    expect(out.stats.droppedPoints).toBe(0); // cumulative: nothing held, nothing dropped
    expect(out.unhandled).toEqual([]);
    expect(code).toBe(0);
  }, 60_000);

  it('open circuit: shutdown() touches no network and the process exits on its own right after', async () => {
    const { out, exitMillis, code } = await run([`http://127.0.0.1:${await deadPort()}/v1/metrics`, 'open', '1']);
    expect(out.stateBeforeShutdown).toBe(2);
    expect(out.shutdownMillis).toBeLessThan(500);
    expect(exitMillis).toBeLessThan(1500);
    expect(out.unhandled).toEqual([]);
    expect(code).toBe(0);
  }, 60_000);
});
