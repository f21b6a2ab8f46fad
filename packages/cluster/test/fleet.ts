// Real node:cluster workers (fixtures/worker.mjs) forked by the test process,
// which is the primary. Waits are bounded; workers are killed by PID at the end.
import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHILD_EXEC_ARGV, ensureBuilt } from './build.js';

const WORKER = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));

export interface SyncLine {
  seq: number;
  session: number;
  written: number;
  tally: Record<string, number>;
  gauge: number | null;
}

export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'fastmeter-cluster-'));
  readonly workers: Worker[] = [];

  constructor(
    private readonly _intervalMs = 100,
    serialization: 'json' | 'advanced' = 'json',
  ) {
    ensureBuilt('sdk', 'cluster');
    cluster.setupPrimary({ exec: WORKER, execArgv: CHILD_EXEC_ARGV, serialization } as never);
  }

  /** Forks worker `index` and waits until it is ready. */
  async fork(index: number, intervalMs = this._intervalMs): Promise<Worker> {
    const worker = cluster.fork({ FM_INDEX: String(index), FM_LOG_DIR: this.dir, FM_INTERVAL_MS: String(intervalMs) });
    this.workers.push(worker);
    await reply(worker, 'ready', 20_000);
    return worker;
  }

  /** Every line the worker with `pid` logged at its syncs. */
  log(pid: number): SyncLine[] {
    return readFileSync(join(this.dir, `truth-${pid}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(line => JSON.parse(line));
  }

  async stop(): Promise<void> {
    for (const w of this.workers) {
      if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill('SIGKILL');
    }
    await Promise.all(this.workers.map(w => (w.process.exitCode === null && w.process.signalCode === null ? waitFor(w, 'exit', 10_000) : undefined)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sends a command and waits for the worker's reply `{ cmd: replyCmd }` (bounded). */
export function request(worker: Worker, message: object, replyCmd: string, timeoutMs = 60_000): Promise<any> {
  const answer = reply(worker, replyCmd, timeoutMs);
  worker.send(message);
  return answer;
}

export function reply(worker: Worker, cmd: string, timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off('message', onMessage);
      reject(new Error(`worker ${worker.id} (pid ${worker.process.pid}) sent no "${cmd}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: any) => {
      if (m?.cmd !== cmd) return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(m);
    };
    worker.on('message', onMessage);
  });
}

export function waitFor(worker: Worker, event: 'exit' | 'disconnect', timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${worker.id} did not ${event} within ${timeoutMs} ms`)), timeoutMs);
    worker.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Polls `probe` until it returns a value other than undefined (bounded). */
export async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

/** Adds tallies key by key. */
export function addTallies(into: Record<string, number>, tally: Record<string, number>): void {
  for (const [k, v] of Object.entries(tally)) into[k] = (into[k] ?? 0) + v;
}
