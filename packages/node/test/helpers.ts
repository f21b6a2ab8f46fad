// Child processes started exactly as users start them (`node --import
// @fastmeter/node/register app` or `--require`), against the package's build,
// and a loopback OTLP receiver that also keeps request headers.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Daemon, poll } from '../../../test/e2e/helpers/proc.js';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const APP = fileURLToPath(new URL('./fixtures/app.cjs', import.meta.url));

export function ensureBuilt(): void {
  for (const f of ['dist/esm/register.js', 'dist/cjs/register.js', '../sdk/dist/cjs/index.js']) {
    if (!existsSync(new URL(`../${f}`, import.meta.url))) throw new Error(`packages/node/${f} is missing: run \`pnpm build\` first (npm test does)`);
  }
}

/**
 * The environment without any OTEL_* or FASTMETER_* variable of this process,
 * nor NODE_OPTIONS / NODE_PATH (npx sets NODE_PATH to pnpm's hoisted store,
 * which would make every package resolvable), plus `env`.
 */
export function cleanEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OTEL_') && !k.startsWith('FASTMETER_') && k !== 'NODE_OPTIONS' && k !== 'NODE_PATH') out[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export type Preload = '--import' | '--require';

/** Starts `script` under the register entry; resolves once it printed `ready`. */
export async function startApp(
  env: Record<string, string | undefined>,
  options: { preload?: Preload; script?: string; extraPreloads?: string[]; preloadArgs?: string[] } = {},
): Promise<{ daemon: Daemon; ready: { provider: string; pid: number } }> {
  ensureBuilt();
  const preload = options.preload ?? '--import';
  const args = [...(options.preloadArgs ?? [preload, '@fastmeter/node/register', ...(options.extraPreloads ?? [])]), options.script ?? APP];
  const daemon = Daemon.start(`app (${preload})`, process.execPath, args, cleanEnv(env), PACKAGE_DIR);
  const [, json] = await daemon.waitForOutput(/^ready (\{.*\})$/m, 20_000);
  return { daemon, ready: JSON.parse(json) };
}

/** Waits for the process to exit by itself; returns its code and signal. */
export async function exited(daemon: Daemon, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = daemon.child;
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const timer = new Promise<'timeout'>(r => setTimeout(() => r('timeout'), timeoutMs).unref());
  const result = await Promise.race([once(child, 'exit'), timer]);
  if (result === 'timeout') throw new Error(`the app did not exit within ${timeoutMs} ms\n${daemon.output}`);
  return { code: result[0] as number | null, signal: result[1] as NodeJS.Signals | null };
}

export interface Request {
  path: string;
  contentType: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Captures every POST on 127.0.0.1 (any path), gunzipping bodies, answering 200 with an empty response. */
export class Receiver {
  readonly requests: Request[] = [];
  private constructor(
    private readonly _server: Server,
    readonly base: string,
  ) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const receiver = new Receiver(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
        receiver.requests.push({ path: req.url ?? '', contentType, headers: req.headers, body });
        res.writeHead(200, { 'content-type': contentType }).end(contentType === 'application/json' ? '{}' : '');
      });
    });
    return receiver;
  }

  on(path: string): Request[] {
    return this.requests.filter(r => r.path === path);
  }

  async waitFor(path: string, n: number, timeoutMs: number): Promise<Request[]> {
    return poll(async () => (this.on(path).length >= n ? this.on(path) : undefined), { timeoutMs, what: `${n} request(s) on ${path}` });
  }

  async close(): Promise<void> {
    this._server.closeAllConnections();
    await new Promise(resolve => this._server.close(resolve));
  }
}
