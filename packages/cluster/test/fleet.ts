// Real node:cluster workers (fixtures/worker.mjs) forked by the test process,
// which is the primary. Waits are bounded; workers are killed by PID at the end.
import cluster, { type Worker } from 'node:cluster';
import type { ClusterMetrics } from '../src/index.js';
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

export function total(tally: Record<string, number>, prefix: string): number {
  let n = 0;
  for (const [k, v] of Object.entries(tally)) if (k.startsWith(prefix)) n += v;
  return n;
}

export interface KillScenario {
  /** What the primary must export: the survivors' final tallies plus the killed worker's tally at its last applied sync. */
  expected: Record<string, number>;
  /** The gauge's expected value (the last worker to set it). */
  gauge: number;
  /** The killed worker's tally at its last applied sync, its log, and its last sync as the primary saw it. */
  kept: SyncLine;
  log: SyncLine[];
  lastSeq: number;
}

/**
 * 4 workers record OPS operations each (paced, so that syncs happen during the load);
 * worker 2 is SIGKILLed after a few syncs and replaced by a fifth, which records OPS too.
 * Then each survivor in turn sets the gauge and flushes, and all shut their provider down.
 */
export async function killScenario(fleet: Fleet, hub: ClusterMetrics, ops: number): Promise<KillScenario> {
  const workers = await Promise.all([0, 1, 2, 3].map(i => fleet.fork(i)));
  const load = (w: Worker) => request(w, { cmd: 'load', ops, batch: 300, pauseMs: 1 }, 'loaded', 120_000);
  const loads = new Map<Worker, Promise<unknown>>(workers.map(w => [w, load(w)]));
  // SIGKILL worker 2 once it has sent a few syncs, well before it finishes.
  const victim = workers[2];
  const victimPid = victim.process.pid as number;
  const session = () => hub.stats().workers.find(w => w.pid === victimPid);
  // Its first sync with data (series defined), then a few more: well into its load.
  const first = await until(() => ((session()?.series ?? 0) > 0 ? session()?.lastSeq : undefined), 'data from worker 2');
  await until(() => ((session()?.lastSeq ?? 0) >= first + 3 ? true : undefined), 'more syncs from worker 2');
  victim.process.kill('SIGKILL');
  loads.get(victim)?.catch(() => {}); // it never finishes
  loads.delete(victim);
  await waitFor(victim, 'exit', 10_000);
  const replacement = await fleet.fork(4);
  loads.set(replacement, load(replacement));
  await Promise.all(loads.values());
  const survivors = [...loads.keys()];
  // Gauges: the last value applied wins. Set one per worker, in turn, each flushed before the next.
  for (const [k, w] of survivors.entries()) await request(w, { cmd: 'gauge', value: 7_000_000 + k }, 'gauged');
  const done = await Promise.all(survivors.map(w => request(w, { cmd: 'finish' }, 'done')));
  // What the killed worker kept: its tally at the last sync the primary applied.
  const gone = await until(() => hub.stats().exitedWorkers.find(w => w.pid === victimPid), 'the killed worker to be released');
  const log = fleet.log(victimPid);
  const kept = log.find(line => line.seq === gone.lastSeq && line.session === gone.session);
  if (kept === undefined) throw new Error(`the killed worker logged no sync ${gone.lastSeq} (session ${gone.session})`);
  const expected: Record<string, number> = {};
  for (const d of done) addTallies(expected, d.tally);
  addTallies(expected, kept.tally);
  return { expected, gauge: 7_000_000 + survivors.length - 1, kept, log, lastSeq: gone.lastSeq };
}
