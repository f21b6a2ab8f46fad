// Child processes, ports, scratch directories and waits, all bounded: every
// command has a timeout, every wait a deadline, every long-running child is
// stopped by its PID (SIGTERM, a bounded wait, then SIGKILL).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with `input` on stdin; kills it (SIGKILL) after `timeoutMs`. */
export function run(
  cmd: string,
  args: string[],
  options: { input?: string | Uint8Array; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', err => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${cmd} ${args.join(' ')}: no exit within ${timeoutMs} ms`));
      else resolve({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    // A program that exits without reading all of stdin closes the pipe: not our error.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command that must succeed; the error shows its output. */
export async function runOk(cmd: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** Sends a signal to one PID; a process that already exited is not an error. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Daemons not yet stopped. Tests stop theirs in afterAll; if the test process
 * exits without that (a crash, a killed worker), they are killed by PID here.
 */
const running = new Set<Daemon>();
process.once('exit', () => {
  for (const daemon of running) if (daemon.pid !== undefined) signal(daemon.pid, 'SIGKILL');
});

/** A long-running child process (a server), with its output kept for error messages. */
export class Daemon {
  output = '';
  readonly exited: Promise<number | null>;
  private _exitCode: number | null | undefined = undefined;

  private constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', c => this._append(c));
    child.stderr?.on('data', c => this._append(c));
    this.exited = new Promise(resolve => {
      // 'close', not 'exit': it comes after the output pipes are drained.
      child.on('close', code => {
        this._exitCode = code;
        resolve(code);
      });
      child.on('error', err => {
        this._append(`spawn error: ${err.message}\n`);
        this._exitCode = null;
        resolve(null);
      });
    });
  }

  static start(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Daemon {
    const daemon = new Daemon(label, spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd }));
    running.add(daemon);
    daemon.exited.then(() => running.delete(daemon));
    return daemon;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this._exitCode === undefined;
  }

  /** Resolves with the first match of `re` in the output; rejects on exit or after `timeoutMs`. */
  async waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return poll(async () => this.output.match(re) ?? undefined, {
      timeoutMs,
      what: `${this.label} to print ${re}`,
      abort: () => (this.running ? undefined : `${this.label} exited with ${this._exitCode}`),
      details: () => this.output,
    });
  }

  /** SIGTERM to the PID, up to `graceMs` to exit, then SIGKILL. Returns the exit code (null if killed). */
  async stop(graceMs = 5000): Promise<number | null> {
    if (!this.running || this.pid === undefined) return this._exitCode ?? null;
    signal(this.pid, 'SIGTERM');
    const timer = new Promise<'timeout'>(resolve => setTimeout(() => resolve('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout' && this.running) {
      signal(this.pid, 'SIGKILL');
      await Promise.race([this.exited, new Promise(resolve => setTimeout(resolve, 2000).unref())]);
    }
    return this._exitCode ?? null;
  }

  private _append(chunk: Buffer | string): void {
    // Keep the tail only: enough for an error message, bounded for a chatty daemon.
    this.output = (this.output + chunk).slice(-64 * 1024);
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; callers retry if it is taken before use). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise(resolve => server.close(resolve));
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return address.port;
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** For the timeout message: "waiting for <what>". */
  what: string;
  /** Returns a reason to stop waiting early (a crashed process). */
  abort?: () => string | undefined;
  /** Extra text for the timeout message (logs, last value seen). */
  details?: () => string;
}

/** Calls `fn` until it returns a value other than undefined; errors thrown by `fn` count as "not yet". */
export async function poll<T>(fn: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = (err as Error).message;
    }
    const aborted = options.abort?.();
    if (aborted !== undefined) throw new Error(`gave up waiting for ${options.what}: ${aborted}\n${options.details?.() ?? ''}`);
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${options.what}${lastError ? ` (last error: ${lastError})` : ''}\n${options.details?.() ?? ''}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** `fetch` with a deadline. */
export async function fetchWithTimeout(url: string, init: RequestInit = {}, timeoutMs = 5000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** A fresh directory under the OS temp dir, and its removal. */
export async function scratchDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `fastmeter-e2e-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true, maxRetries: 3 }) };
}
